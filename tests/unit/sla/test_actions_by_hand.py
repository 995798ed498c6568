"""要対応 / 対応しない by hand: an agent opens a case from a tweet triage let go (or gets the
case the tweet already has), closes one as needing no reply, and corrects triage; each event
carries what triage said and what the agent said, self-contained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.plumbing.casework import case_id_for
from services.plumbing.contracts.actions import OpenCase, Verdict
from services.plumbing.contracts.cases import CaseState, ChangeKind, ClockStatus, Correction
from services.plumbing.contracts.tweets import Sentiment, Topic
from services.sla.actions import on_action
from services.sla.book import Held, Step
from services.sla.policies import load_policy
from services.sla.tweets import on_tweet
from tests.factories.sla import AGENT_A, AGENT_B, CUSTOMER, action, triaged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
POLICY = load_policy("default: {first_response: 60m, next_response: 30m, resolution: 1d}\n")
TRIAGE = Verdict(topic=Topic.OTHER, sentiment=Sentiment.NEUTRAL, needs_reply=False, spam=False)


def at(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def open_action(tweet_id: str = "1", conversation: str = "100", **extra: Any) -> OpenCase:
    tweet = {
        "tweet_id": tweet_id, "conversation_id": conversation, "author": CUSTOMER.model_dump(),
        "brand": "acme", "handle": "acme_jp", "channel": "public", "created_at": T0,
        "lang": "ja", "queue": "jp-care", "priority": "P3", "triage": TRIAGE.model_dump(),
    }  # fmt: skip
    made = action("open", case_id_for("acme:4001", tweet_id), at(90), tweet=tweet, **extra)
    assert isinstance(made, OpenCase)
    return made


def only_event(step: Step) -> Any:
    assert len(step.events) == 1
    return step.events[0]


def test_an_agent_opens_a_case_from_a_tweet_triage_let_go() -> None:
    step = on_action((), open_action(reason="keyword complaint"), POLICY, at(90))
    event = only_event(step)
    case = event.case
    assert (event.change.kind, event.change.detail) == (
        ChangeKind.OPENED, "opened by agent: keyword complaint")  # fmt: skip
    assert (event.outcome.status, event.outcome.code) == ("applied", "ok")
    assert (case.case_id, case.state, case.queue, case.assignee) == (
        case_id_for("acme:4001", "1"), CaseState.NEW, "jp-care", None)  # fmt: skip
    # The promise starts when the agent takes the tweet on, not when it was written.
    assert case.opened_at == at(90)
    assert {c.name.value: c.due_at for c in case.clocks} == {
        "first_response": at(150), "resolution": at(90 + 24 * 60)}  # fmt: skip
    assert event.change.correction == Correction(
        tweet_id="1", triage=TRIAGE, agent=Verdict(needs_reply=True), agent_id=AGENT_A.id,
        at=at(90), reason="keyword complaint",
    )  # fmt: skip


def test_the_queue_can_be_chosen_when_opening() -> None:
    event = only_event(on_action((), open_action(queue="active"), POLICY, at(90)))
    assert event.case.queue == "active"


@pytest.mark.parametrize(
    ("book_of", "why"),
    [
        (lambda: on_tweet((), triaged("1", T0), POLICY).book, "triage opened it"),
        (lambda: on_action((), open_action(), POLICY, at(90)).book, "an agent opened it"),
        (lambda: on_tweet((), triaged("0", T0), POLICY).book, "its conversation's open case"),
    ],
)
def test_a_tweet_that_has_a_case_gets_that_case_back_unchanged(book_of: Any, why: str) -> None:
    book: tuple[Held, ...] = book_of()
    step = on_action(book, open_action(), POLICY, at(95))
    event = only_event(step)
    assert step.book == book, why
    assert (event.outcome.status, event.outcome.code) == ("applied", "already_open")
    assert (event.change.kind, event.case.case_id) == (ChangeKind.UNCHANGED, book[0].case.case_id)
    assert event.case_version == book[0].version


def test_a_closed_conversation_does_not_hold_a_new_tweet_of_it() -> None:
    book = on_tweet((), triaged("0", T0), POLICY).book
    book = on_action(book, action("resolve", book[0].case.case_id, at(5)), POLICY, at(5)).book
    step = on_action(book, open_action(), POLICY, at(90))
    assert only_event(step).change.kind == ChangeKind.OPENED
    assert len(step.book) == 2


def test_a_case_closed_as_needing_no_reply_records_the_verdict_and_its_reason() -> None:
    book = on_tweet((), triaged("1", T0), POLICY).book
    case_id = book[0].case.case_id
    said = Verdict(topic=Topic.DELIVERY, sentiment=Sentiment.NEGATIVE, needs_reply=True,
                   spam=False)  # fmt: skip
    no = action("no_reply", case_id, at(3), reason="user-to-user chatter", triage=said.model_dump())
    event = only_event(on_action(book, no, POLICY, at(3)))
    assert event.case.state == CaseState.CLOSED_NO_REPLY
    assert {c.status for c in event.case.clocks} == {ClockStatus.STOPPED}
    assert event.change.correction == Correction(
        tweet_id="1", triage=said, agent=Verdict(needs_reply=False), agent_id=AGENT_A.id,
        at=at(3), reason="user-to-user chatter",
    )  # fmt: skip


def test_without_triage_on_the_action_the_case_says_what_triage_said() -> None:
    book = on_tweet((), triaged("1", T0), POLICY).book
    spam = action("spam", book[0].case.case_id, at(3))
    correction = only_event(on_action(book, spam, POLICY, at(3))).change.correction
    assert (correction.triage, correction.agent) == (
        Verdict(topic=Topic.DELIVERY, sentiment=Sentiment.NEGATIVE, needs_reply=True),
        Verdict(spam=True),
    )


@pytest.mark.parametrize(
    ("agent", "state", "topic", "sentiment"),
    [
        ({"topic": "technical"}, CaseState.NEW, Topic.TECHNICAL, Sentiment.NEGATIVE),
        ({"sentiment": "neutral"}, CaseState.NEW, Topic.DELIVERY, Sentiment.NEUTRAL),
        ({"needs_reply": False}, CaseState.CLOSED_NO_REPLY, Topic.DELIVERY, Sentiment.NEGATIVE),
        ({"spam": True}, CaseState.SPAM, Topic.DELIVERY, Sentiment.NEGATIVE),
        ({"spam": True, "needs_reply": False}, CaseState.SPAM, Topic.DELIVERY, Sentiment.NEGATIVE),
        ({"needs_reply": True, "spam": False}, CaseState.NEW, Topic.DELIVERY, Sentiment.NEGATIVE),
    ],
)
def test_a_correction_sets_the_labels_and_closes_what_needs_no_reply(
    agent: dict[str, Any], state: CaseState, topic: Topic, sentiment: Sentiment
) -> None:
    book = on_tweet((), triaged("1", T0), POLICY).book
    fix = action("correct", book[0].case.case_id, at(4), agent=agent, triage=TRIAGE.model_dump())
    step = on_action(book, fix, POLICY, at(4))
    event = only_event(step)
    assert (event.case.state, event.case.topic, event.case.sentiment) == (state, topic, sentiment)
    assert event.change.kind == ChangeKind.CORRECTED
    assert event.change.correction == Correction(
        tweet_id="1", triage=TRIAGE, agent=Verdict.model_validate(agent), agent_id=AGENT_A.id,
        at=at(4),
    )  # fmt: skip
    assert event.case_version == book[0].version + 1


def test_a_closed_case_can_be_corrected_without_reopening() -> None:
    book = on_tweet((), triaged("1", T0), POLICY).book
    case_id = book[0].case.case_id
    book = on_action(book, action("spam", case_id, at(2)), POLICY, at(2)).book
    fix = action("correct", case_id, at(4), agent={"spam": False, "topic": "billing"})
    event = only_event(on_action(book, fix, POLICY, at(4)))
    assert (event.outcome.status, event.case.state, event.case.topic) == (
        "applied", CaseState.SPAM, Topic.BILLING)  # fmt: skip


def test_a_correction_that_closes_a_case_someone_else_holds_is_refused() -> None:
    book = on_tweet((), triaged("1", T0), POLICY).book
    case_id = book[0].case.case_id
    book = on_action(book, action("claim", case_id, at(1)), POLICY, at(1)).book
    closing = action("correct", case_id, at(2), AGENT_B, agent={"needs_reply": False})
    labels = action("correct", case_id, at(2), AGENT_B, agent={"topic": "billing"})
    refused = only_event(on_action(book, closing, POLICY, at(2))).outcome
    assert (refused.status, refused.code) == ("rejected", "claimed_by_other")
    assert only_event(on_action(book, labels, POLICY, at(2))).outcome.status == "applied"


def test_a_correction_must_say_something() -> None:
    with pytest.raises(ValueError, match="at least one"):
        action("correct", "c", at(1), agent={})
