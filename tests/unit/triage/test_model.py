"""The model's features and file format, on our own sentences (the shared data is elsewhere)."""

from __future__ import annotations

import copy
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from services.triage import features
from services.triage.classify import TweetFacts, classify_batch
from services.triage.config import TriageConfig
from services.triage.model import FORMAT, ModelError, TextModel, dense_features
from services.triage.training import _log_count_ratio, train, train_tone

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


THINGS = ("order", "parcel", "refund", "card", "app")
PROBLEMS = ("never arrived", "is broken again", "was charged twice", "still missing")
PRAISE = ("thanks for the", "love the new", "great job on my", "quick help with my")


@pytest.fixture(scope="module")
def model() -> TextModel:
    complaints = [f"@acme my {thing} {problem}" for thing in THINGS for problem in PROBLEMS]
    others = [f"@acme {praise} {thing}" for thing in THINGS for praise in PRAISE]
    others += [f"lovely {day} at the beach with friends" for day in ("sunday", "morning")]
    values = ["1"] * len(complaints) + ["0"] * len(others)
    return train(
        {"complaint": (complaints + others, values)},
        now=datetime(2026, 11, 22, tzinfo=UTC),
        sources=["ours"],
    )


def test_batch_and_one_by_one_classification_agree(model: TextModel) -> None:
    facts = [TweetFacts(id=str(i), text=t) for i, t in enumerate(TEXTS)]
    together = classify_batch(facts, TriageConfig(), model)
    alone = [classify_batch([f], TriageConfig(), model)[0] for f in facts]
    assert together == alone
    assert classify_batch([], TriageConfig(), model) == []


def test_a_model_of_another_format_is_refused_with_what_to_do(
    model: TextModel, tmp_path: Path
) -> None:
    legacy = copy.copy(model)
    del legacy.__dict__["format"]  # as pickled before formats were named
    older = tuple((old, replace(model, format=old)) for old in ("lr1", "lr2", "lr3"))
    for name, old in (*older, ("legacy", legacy)):
        old.save(tmp_path / name)
        with pytest.raises(ModelError, match=r"older format.*triage train"):
            TextModel.load(tmp_path / name)
    model.save(tmp_path / "new")
    assert TextModel.load(tmp_path / "new").format == FORMAT


def test_a_three_class_model_decides_by_its_scores_with_softmax_confidence() -> None:
    texts = ["@acme my order never arrived", "@acme love the new app", "@acme what time is it"]
    texts *= 6
    values = ["negative", "positive", "neutral"] * 6
    learned = train(
        {"sentiment": (texts, values)}, now=datetime(2026, 11, 22, tzinfo=UTC), sources=["ours"]
    ).labels["sentiment"]
    grams = features.grams(texts[:3])
    dense = dense_features(texts[:3], grams, np.zeros((3, 2)), None)
    probs = learned.probabilities(grams, dense)
    raw = grams.scores(learned.idf, learned.coef[:, : features.COLUMNS])
    raw += dense @ learned.coef[:, features.COLUMNS :].T + learned.intercept
    assert probs.sum(axis=1) == pytest.approx(np.ones(3))
    assert probs.argmax(axis=1).tolist() == raw.argmax(axis=1).tolist()
    assert [label for label, _ in learned.predict(grams, dense)] == values[:3]
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


PAIRS = (
    [
        (f"@acme my {thing} {problem}", "We're so sorry, please DM us")
        for thing in THINGS
        for problem in PROBLEMS
    ]
    + [
        (f"@acme {praise} {thing}", "Glad to hear it, enjoy!")
        for thing in THINGS
        for praise in PRAISE
    ]
    + [(f"@acme where can I find my {thing}?", "It is under Settings.") for thing in THINGS]
)


def test_a_model_with_a_reply_tone_feeds_it_to_every_label(tmp_path: Path) -> None:
    tone = train_tone(PAIRS)
    assert tone.classes == ["negative", "neutral", "positive"]
    texts = [customer for customer, _ in PAIRS]
    values = ["1"] * 20 + ["0"] * 25
    now = datetime(2026, 11, 22, tzinfo=UTC)
    plain = train({"complaint": (texts, values)}, now=now, sources=["ours"])
    toned = train({"complaint": (texts, values)}, now=now, sources=["ours"], tone=tone)
    extra = toned.labels["complaint"].coef.shape[1] - plain.labels["complaint"].coef.shape[1]
    assert extra == len(tone.classes)
    assert toned.version != plain.version
    assert toned.meta["reply_tone"] is True
    toned.save(tmp_path / "toned")
    loaded = TextModel.load(tmp_path / "toned")
    assert loaded.tone is not None
    new = ["@acme my card still missing", "@acme love the new parcel"]
    assert [label for label, _ in loaded.predict(new, np.zeros((2, 2)))["complaint"]] == ["1", "0"]


def test_a_reply_tone_needs_more_than_one_tone() -> None:
    with pytest.raises(ModelError, match="one tone only"):
        train_tone([("@acme where is it", "Here."), ("@acme and this", "There.")])


def test_the_labels_scored_together_equal_each_label_scored_alone() -> None:
    tone = train_tone(PAIRS)
    texts = [customer for customer, _ in PAIRS]
    model = train(
        {"complaint": (texts, ["1"] * 20 + ["0"] * 25)},
        now=datetime(2026, 11, 22, tzinfo=UTC),
        sources=["ours"],
        tone=tone,
    )
    grams = features.grams(TEXTS)
    together = model._scoring().scores(grams)
    for label in (model.labels["complaint"], tone):
        alone = grams.scores(label.idf, label.coef[:, : features.COLUMNS])
        assert np.allclose(together[label.name], alone, rtol=1e-5, atol=1e-6)


def test_sentiment_feeds_complaint_trained_together_or_given() -> None:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    texts = [customer for customer, _ in PAIRS]
    complaint = (texts, ["1"] * 20 + ["0"] * 25)
    sentiment = (texts, ["negative"] * 20 + ["positive"] * 20 + ["neutral"] * 5)
    both = train({"complaint": complaint, "sentiment": sentiment}, now=now, sources=["ours"])
    assert both.labels["complaint"].inputs == ("sentiment",)
    assert both.labels["sentiment"].inputs == ()
    assert both.meta["labels"]["complaint"]["inputs"] == ["sentiment"]
    alone = train({"complaint": complaint}, now=now, sources=["ours"])
    extra = both.labels["complaint"].coef.shape[1] - alone.labels["complaint"].coef.shape[1]
    assert extra == 3
    given = train(
        {"complaint": complaint},
        now=now,
        sources=["ours"],
        given={"sentiment": both.labels["sentiment"]},
    )
    assert np.allclose(given.labels["complaint"].coef, both.labels["complaint"].coef)
    facts = [TweetFacts(id=str(i), text=t) for i, t in enumerate(TEXTS)]
    together = classify_batch(facts, TriageConfig(), both)
    assert together == [classify_batch([f], TriageConfig(), both)[0] for f in facts]
    assert [t.complaint for t in together[:2]] == [True, False]


def test_the_running_service_does_not_import_the_training_stack() -> None:
    # What `tweetcare triage run` imports: the command tree and the faust app with its model.
    probe = (
        "import sys, services.cli, services.triage.service; "
        "print(sorted(m for m in ('sklearn', 'services.triage.training') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
