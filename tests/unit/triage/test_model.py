"""The model's features and file format, on our own sentences (the shared data is elsewhere);
the trained model is the session's (``trained``, in conftest.py)."""

from __future__ import annotations

import copy
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from services.triage import features
from services.triage.classify import TweetFacts, classify_batch
from services.triage.config import TriageConfig
from services.triage.datasets import read_labelled
from services.triage.model import FORMAT, ModelError, TextModel, base_dense, dense_features
from services.triage.training import C_GRID, NB_C_GRID, _log_count_ratio, train, train_tone
from tests.factories import labelled

TEXTS = [
    "@AcmeHelp my parcel never came and nobody answers!!",
    "@acme thanks, the new app is great",
    "",
    "@acme_jp 荷物がまだ届きません。返金してください",
    "WORST. SERVICE. EVER. https://t.co/abc123 @acme",
    "a\x00b text holding the batch separator",
    "  spaced   out\ttext\n",
    "emoji only 😡😡",
]


def _row_columns(grams: features.Grams, row: int) -> list[int]:
    return sorted(grams.cols[grams.rows == row].tolist())


def test_each_text_gets_the_same_n_grams_alone_as_in_a_batch() -> None:
    batch = features.grams(TEXTS)
    assert batch.count == len(TEXTS)
    for row, text in enumerate(TEXTS):
        assert _row_columns(batch, row) == _row_columns(features.grams([text]), 0), text


def test_n_grams_are_words_and_characters_of_the_normalised_text() -> None:
    grams = features.grams(["ab cd"])  # " ab cd ": 2 words, 1 bigram; 6 + 5 + 4 characters
    words = grams.cols < (1 << features.BITS)
    assert int(words.sum()) == 3
    assert int((~words).sum()) == 6 + 5 + 4
    assert features.grams(["@Acme  Late!!"]).cols.tolist() == (
        features.grams(["@acme late!!"]).cols.tolist()
    )
    linked = features.grams(["see https://t.co/x1"]).cols.tolist()
    assert linked == features.grams(["see https://t.co/y2"]).cols.tolist()


def test_scores_from_occurrences_equal_the_training_matrix_product() -> None:
    grams = features.grams(TEXTS)
    rng = np.random.default_rng(7)
    idf = 1.0 + rng.random(features.COLUMNS)
    coef = rng.normal(size=(3, features.COLUMNS))
    expected = features.weighted(grams.counts(), idf) @ coef.T
    assert np.allclose(grams.scores(idf, coef * idf), expected)
    again = features.Grams.of_counts(grams.counts())
    assert np.allclose(again.scores(idf, coef * idf), expected)


def test_signals_scale_the_rules_scores_and_read_the_raw_text() -> None:
    texts = ["@acme WORST service ever? https://t.co/x !!!", "fine"]
    scores = np.array([[0.8, -0.6], [0.0, 0.1]])
    row = features.signals(texts, scores)[0] / features.RULE_WEIGHT
    got = dict(zip(features.SIGNALS, row, strict=True))
    assert got["rules_complaint"] == pytest.approx(0.8)
    assert got["rules_sentiment"] == pytest.approx(-0.6)
    assert (got["starts_with_mention"], got["has_question_mark"], got["has_link"]) == (1, 1, 1)
    assert got["exclamations"] == pytest.approx(1.0)
    letters = "acmeWORSTserviceeverhttpstcox"
    assert got["capitals"] == pytest.approx(5 / len(letters))
    assert features.signals([], np.zeros((0, 2))).shape == (0, len(features.SIGNALS))


def test_batch_and_one_by_one_classification_agree(trained: TextModel) -> None:
    facts = [TweetFacts(id=str(i), text=t) for i, t in enumerate(TEXTS)]
    together = classify_batch(facts, TriageConfig(), trained)
    alone = [classify_batch([f], TriageConfig(), trained)[0] for f in facts]
    assert together == alone
    assert [t.complaint for t in together[:2]] == [True, False]
    assert "model" in {r.rule for r in together[0].reasons if r.field == "complaint"}
    assert classify_batch([], TriageConfig(), trained) == []


@pytest.fixture(params=["ours", pytest.param("shared", marks=pytest.mark.shared_data)])
def complaint_model(request: pytest.FixtureRequest, trained: TextModel) -> TextModel:
    """The session's model, then one trained on 600 real complaints (the shared_data tier)."""
    if request.param == "ours":
        return trained
    data_dir: Path = request.getfixturevalue("data_dir")
    texts, labels = read_labelled(data_dir / "complaints_train.csv")
    return train(
        {"complaint": (texts[:600], labels["complaint"][:600])},
        now=labelled.TRAINED_AT,
        sources=["complaints_train.csv"],
    )


def test_a_trained_model_saves_loads_and_decides(
    complaint_model: TextModel, tmp_path: Path
) -> None:
    complaint_model.save(tmp_path / "model")
    loaded = TextModel.load(tmp_path / "model")
    assert loaded.version == complaint_model.version
    assert loaded.version.startswith(f"{FORMAT}-20261122-")
    assert "en" in loaded.langs
    label = loaded.labels["complaint"]
    assert (label.threshold, label.margin) == (0.5, 0.0)
    assert label.c in C_GRID
    triages = classify_batch(
        [TweetFacts(id="1", text="@acme my refund still missing, two weeks now")],
        TriageConfig(),
        loaded,
    )
    assert triages[0].complaint is True
    assert {r.rule for r in triages[0].reasons if r.field == "complaint"} == {"model"}


def test_a_loaded_model_keeps_its_tone_and_every_label(trained: TextModel, tmp_path: Path) -> None:
    trained.save(tmp_path / "model")
    loaded = TextModel.load(tmp_path / "model")
    assert loaded.langs == ["en"]  # 50 English texts: trusted on English, on nothing else
    assert loaded.tone is not None
    sentiment = loaded.labels["sentiment"]
    assert (sentiment.threshold, sentiment.c in NB_C_GRID) == (None, True)
    new = ["@acme my card still missing", "@acme love the new parcel"]
    assert [label for label, _ in loaded.predict(new, np.zeros((2, 2)))["complaint"]] == ["1", "0"]


def test_a_model_of_another_format_is_refused_with_what_to_do(
    trained: TextModel, tmp_path: Path
) -> None:
    legacy = copy.copy(trained)
    del legacy.__dict__["format"]  # as pickled before formats were named
    older = tuple((old, replace(trained, format=old)) for old in ("lr1", "lr2", "lr3"))
    for name, old in (*older, ("legacy", legacy)):
        old.save(tmp_path / name)
        with pytest.raises(ModelError, match=r"older format.*triage train"):
            TextModel.load(tmp_path / name)
    trained.save(tmp_path / "new")
    assert TextModel.load(tmp_path / "new").format == FORMAT


def test_a_three_class_model_decides_by_its_scores_with_softmax_confidence(
    trained: TextModel,
) -> None:
    learned = trained.labels["sentiment"]
    texts = [labelled.COMPLAINTS[0], labelled.PRAISING[0], labelled.ASKING[0]]
    grams = features.grams(texts)
    rule_scores = features.rule_scores(texts, ["en"] * len(texts))
    dense = dense_features(texts, grams, rule_scores, trained.tone)
    probs = learned.probabilities(grams, dense)
    raw = grams.scores(learned.idf, learned.coef[:, : features.COLUMNS])
    raw += dense @ learned.coef[:, features.COLUMNS :].T + learned.intercept
    assert probs.sum(axis=1) == pytest.approx(np.ones(3))
    assert probs.argmax(axis=1).tolist() == raw.argmax(axis=1).tolist()
    decided = [label for label, _ in learned.predict(grams, dense)]
    assert decided == ["negative", "positive", "neutral"]
    assert probs.max(axis=1) == pytest.approx(np.exp(raw.max(axis=1)) / np.exp(raw).sum(axis=1))


def test_n_grams_telling_of_the_target_class_weigh_more_than_rare_ones() -> None:
    present = sparse.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, 1]]))
    ratio = _log_count_ratio(present, np.array([True, True, False, False]))
    assert ratio[0] > ratio[1] > 0 > ratio[2]


def test_the_words_come_with_the_n_grams_in_order_and_by_text() -> None:
    texts = ["@acme late again", "", "no 荷物 today"]
    found = features.grams(texts).words
    assert found is not None
    assert found.rows.tolist() == [0, 0, 0, 2, 2, 2]
    alone = [features.words([t]).hashes.tolist() for t in texts]
    assert found.hashes.tolist() == alone[0] + alone[1] + alone[2]
    assert features.words(["Late"]).hashes.tolist() == features.words(["late"]).hashes.tolist()


def test_a_reply_tone_feeds_every_label(trained: TextModel) -> None:
    tone = trained.tone
    assert tone is not None
    assert tone.classes == ["negative", "neutral", "positive"]
    # Without inputs a label has the n-gram columns and the base dense features; the tone adds
    # one column per tone to every label (sentiment takes no other input).
    base = base_dense(TEXTS[:1], features.grams(TEXTS[:1]), np.zeros((1, 2))).shape[1]
    assert trained.labels["sentiment"].coef.shape[1] == features.COLUMNS + base + 3
    assert trained.meta["reply_tone"] is True
    # The version names the tone too (training nothing more: the labels are given).
    untoned = train({}, now=labelled.TRAINED_AT, sources=["ours"], given=trained.labels)
    toned = train({}, now=labelled.TRAINED_AT, sources=["ours"], given=trained.labels, tone=tone)
    assert toned.version != untoned.version


def test_a_reply_tone_needs_more_than_one_tone() -> None:
    with pytest.raises(ModelError, match="one tone only"):
        train_tone([("@acme where is it", "Here."), ("@acme and this", "There.")])


def test_the_labels_scored_together_equal_each_label_scored_alone(trained: TextModel) -> None:
    assert trained.tone is not None
    grams = features.grams(TEXTS)
    together = trained._scoring().scores(grams)
    for label in (*trained.labels.values(), trained.tone):
        alone = grams.scores(label.idf, label.coef[:, : features.COLUMNS])
        assert np.allclose(together[label.name], alone, rtol=1e-5, atol=1e-6)


def test_sentiment_feeds_complaint_trained_together_or_given(trained: TextModel) -> None:
    complaint, sentiment = trained.labels["complaint"], trained.labels["sentiment"]
    assert complaint.inputs == ("sentiment",)
    assert sentiment.inputs == ()
    assert trained.meta["labels"]["complaint"]["inputs"] == ["sentiment"]
    # Both have the tone's columns; complaint has one more per sentiment class.
    assert complaint.coef.shape[1] - sentiment.coef.shape[1] == 3
    # The one model a test trains: complaint again, with the sentiment label given.
    given = train(
        {"complaint": (labelled.TEXTS, labelled.COMPLAINT)},
        now=labelled.TRAINED_AT,
        sources=["ours"],
        tone=trained.tone,
        given={"sentiment": sentiment},
    )
    assert given.labels["sentiment"] is sentiment
    assert np.allclose(given.labels["complaint"].coef, complaint.coef)


def test_the_running_service_does_not_import_the_training_stack() -> None:
    # What `tweetcare triage run` imports: the command tree and the faust app with its model.
    probe = (
        "import sys, services.cli, services.triage.service; "
        "print(sorted(m for m in ('sklearn', 'services.triage.training') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
