"""Valence features from VADER's lexicon: signs, negation, batches (our own sentences)."""

from __future__ import annotations

import numpy as np
import pytest

from services.triage import features, valence


def _row(text: str) -> dict[str, float]:
    values = valence.of_words(features.words([text]), 1)[0]
    return dict(zip(valence.FEATURES, values.tolist(), strict=True))


@pytest.mark.parametrize(
    ("text", "sign", "positive_words", "negative_words"),
    [
        ("@acme I love the new app", 1, 1, 0),
        ("@acme I do not love the new app", -1, 0, 1),
        ("@acme terrible and awful service", -1, 0, 2),
        ("@acme TERRIBLE service", -1, 0, 1),  # the text is lowercased first
        ("@acme it isn't bad at all", 1, 1, 0),  # "bad" negated within three words
        ("@acme my parcel is at the depot", 0, 0, 0),
        ("荷物が届きません", 0, 0, 0),  # an English lexicon: Japanese gets nothing from it
        ("", 0, 0, 0),
    ],
)
def test_valence_reads_signs_counts_and_negation(
    text: str, sign: int, positive_words: int, negative_words: int
) -> None:
    row = _row(text)
    assert np.sign(row["valence_sum"]) == sign
    assert row["positive_words"] == pytest.approx(positive_words / 3)
    assert row["negative_words"] == pytest.approx(negative_words / 3)
    assert -1 < row["valence_sum"] < 1


def test_a_negator_reaches_three_words_back_and_not_into_the_next_text() -> None:
    assert _row("not really very good")["valence_sum"] < 0
    assert _row("not at all really good")["valence_sum"] > 0  # four words back: out of reach
    batch = valence.of_words(features.words(["never", "good"]), 2)
    assert batch[1, 2] > 0  # "never" ends the first text; the second is not negated


def test_a_batch_gives_each_text_what_it_gets_alone() -> None:
    texts = ["@acme great job", "", "worst. flight. ever.", "no 荷物", "not happy", "ok fine"]
    together = valence.of_words(features.words(texts), len(texts))
    alone = np.vstack([valence.of_words(features.words([t]), 1) for t in texts])
    assert np.allclose(together, alone)
    assert valence.of_words(features.words([]), 0).shape == (0, len(valence.FEATURES))
