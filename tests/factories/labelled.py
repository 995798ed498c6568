"""Labelled tweets and answered conversations for training triage models in tests: our own
sentences, English, enough of them (50) for the model to be trusted on English
(``TextModel.langs``), small enough to train in seconds."""

from __future__ import annotations

from datetime import UTC, datetime

TRAINED_AT = datetime(2026, 11, 22, tzinfo=UTC)  # the models' training time: their version's date

THINGS = ("order", "parcel", "refund", "card", "app")
PROBLEMS = ("never arrived", "is broken again", "was charged twice", "still missing")
PRAISE = ("thanks for the", "love the new", "great job on my", "quick help with my")
QUESTIONS = ("where can I find my {}?", "how do I update my {}?")

COMPLAINTS = [f"@acme my {thing} {problem}" for thing in THINGS for problem in PROBLEMS]
PRAISING = [f"@acme {praise} {thing}" for thing in THINGS for praise in PRAISE]
ASKING = [f"@acme {question.format(thing)}" for thing in THINGS for question in QUESTIONS]

TEXTS = COMPLAINTS + PRAISING + ASKING
COMPLAINT = ["1"] * len(COMPLAINTS) + ["0"] * (len(PRAISING) + len(ASKING))
SENTIMENT = (
    ["negative"] * len(COMPLAINTS) + ["positive"] * len(PRAISING) + ["neutral"] * len(ASKING)
)

# Each customer tweet with the brand's answer, whose tone (conversations.reply_tone) is the
# customer's sentiment above.
ANSWERS = {
    "negative": "We're so sorry, please DM us",
    "positive": "Glad to hear it, enjoy!",
    "neutral": "It is under Settings.",
}
PAIRS = [(text, ANSWERS[tone]) for text, tone in zip(TEXTS, SENTIMENT, strict=True)]
