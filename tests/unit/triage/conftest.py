"""One triage model for the model tests, trained once per session on our own sentences
(:mod:`tests.factories.labelled`): complaint and sentiment with a reply tone, the labels
`tweetcare triage train --conversations` makes. Training takes seconds per label (the regression
spans every hashed n-gram column, and C is chosen by inner cross-validation), so the tests share
it and treat it as read-only."""

from __future__ import annotations

import pytest

from services.triage.model import TextModel
from services.triage.training import train, train_tone
from tests.factories import labelled


@pytest.fixture(scope="session")
def trained() -> TextModel:
    return train(
        {
            "complaint": (labelled.TEXTS, labelled.COMPLAINT),
            "sentiment": (labelled.TEXTS, labelled.SENTIMENT),
        },
        now=labelled.TRAINED_AT,
        sources=["ours"],
        tone=train_tone(labelled.PAIRS),
    )
