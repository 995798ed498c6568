"""English complaint precision without the @-mention (our own sentences): clear problem words
are complaints by themselves, weak ones ("again", "hours", "still", "lost") only beside a
second signal, a negation only about a service, and negated problems that say all is well
("no problem", "can't wait") are none."""

from __future__ import annotations

import pytest

from services.plumbing.contracts.tweets import MatchKind
from services.triage import rules
from services.triage.classify import TweetFacts, classify_batch
from services.triage.config import TriageConfig


def _complaint(text: str) -> bool:
    (triage,) = classify_batch(
        [TweetFacts(id="1", text=text, found_via=MatchKind.KEYWORD)], TriageConfig()
    )
    return triage.complaint


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        # a clear problem word is a complaint by itself
        ("this checkout is a nightmare", True),
        ("the new update is useless", True),
        ("my card was overcharged", True),
        # a weak word alone is not
        ("went for a run again this morning", False),
        ("slept for hours after the party", False),
        ("missing you already", False),
        ("sorry I missed your call", False),
        ("still in bed", False),
        ("lost my voice singing all night", False),
        # a weak word beside a service the brand gives is
        ("my flight is delayed", True),
        ("the package is missing", True),
        ("charged for a subscription I cancelled", True),
        # beside another weak word, or a negation
        ("late again", True),
        ("the bus didn't come again", True),
        # a negation alone is not; a negated service is
        ("I didn't go out today", False),
        ("I can't sleep", False),
        ("can't log in to my account", True),
        ("I never got my refund", True),
        # negated problems that say all is well
        ("no problem at all, see you tomorrow", False),
        ("can't wait for the weekend!", False),
        ("not bad at all", False),
        ("no issues with my order this time", False),
        # a typographic apostrophe is an apostrophe
        ("my parcel hasn\u2019t arrived", True),
        ("the app doesn\u2019t work", True),
    ],
)
def test_complaint_without_a_mention(text: str, complaint: bool) -> None:
    assert _complaint(text) is complaint


@pytest.mark.parametrize(
    ("text", "clear", "weak", "negated", "counts"),
    [
        ("delayed again", (), ("delayed", "again"), False, True),
        ("again and again", (), ("again",), False, False),
        ("still waiting for hours", ("still waiting",), ("for hours",), False, True),
        ("no problem, it was late anyway", (), ("late",), False, False),
        ("nobody knows why", (), (), True, False),
    ],
)
def test_signals(
    text: str, clear: tuple[str, ...], weak: tuple[str, ...], negated: bool, counts: bool
) -> None:
    found = rules.complaint_signals(text, "en")
    assert (found.clear, found.weak, found.negated) == (clear, weak, negated)
    assert found.cues == (clear + weak if counts else clear)


def test_a_service_named_by_the_weak_word_itself_is_no_second_signal() -> None:
    # "late" and "hours" are topic words too (delivery, customer service): they cannot confirm
    # themselves.
    found = rules.complaint_signals("up late for hours", "en")
    assert found.weak == ("late", "for hours")
    assert found.service == ()
    alone = rules.complaint_signals("running late", "en")
    assert (alone.weak, alone.service, alone.cues) == (("late",), (), ())


def test_the_reason_names_the_weak_words_that_counted_and_a_negated_service() -> None:
    _, _, counted = rules.complaint("my order is late", "en", 0.0)
    assert counted[0].detail == "late"
    _, _, negated = rules.complaint("can't open my account", "en", 0.0)
    assert negated[0].detail == "negation, negated service"
    _, score, alone = rules.complaint("running late", "en", 0.0)
    assert (score, alone[0].detail) == (0.0, "")


@pytest.mark.parametrize(
    "text",
    ["荷物がまだ届きません", "アプリが起動しない", "また遅延", "説明がない"],
)
def test_japanese_is_as_before_negation_and_cues_alone_are_complaints(text: str) -> None:
    assert rules.complaint(text, "ja", 0.0)[0]
    assert rules.complaint_signals(text, "ja").weak == ()
