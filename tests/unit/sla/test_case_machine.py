"""Cases from tweets and actions: open, thread, respond, claim collisions, transitions, reopen,
DM-only replies, warnings and breaches exactly once; time is a parameter, nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.plumbing.contracts.actions import Actor, Role
from services.plumbing.contracts.cases import CaseState, ChangeKind, ClockName, ClockStatus
from services.plumbing.contracts.common import Channel, Priority
from services.plumbing.contracts.outbox import OutboxResult
from services.sla.actions import on_action
from services.sla.book import Held, Step
from services.sla.policies import load_policy
from services.sla.results import on_result
from services.sla.ticks import next_due, on_tick
from services.sla.tweets import on_tweet
from tests.factories.sla import AGENT_A, AGENT_B, action, triaged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
POLICY = load_policy(
    """
warn_at: [0.5, 0.8]
reopen_window: 2d
default: {first_response: 60m, next_response: 30m, resolution: 1d}
escalation:
  on_breach: [raise_priority, {move_to_queue: escalations}, {webhook: "http://hooks.test/sla"}]
"""
)


BOSS = Actor(id="boss", name="Sachiko", role=Role.SUPERVISOR)
"""Reopen, transfer and priority are supervisors' (an agent's is refused: test_actions_*)."""


def by(kind: str) -> Actor:
    return BOSS if kind in ("reopen", "transfer", "set_priority") else AGENT_A


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def opened() -> Step:
    return on_tweet((), triaged("1", T0), POLICY)


def case_of(step: Step) -> Held:
    assert len(step.book) == 1
    return step.book[0]


def test_an_inbound_tweet_that_needs_a_reply_opens_a_case_with_clocks() -> None:
    step = opened()
    held = case_of(step)
    assert held.version == 1
    assert held.case.state == CaseState.NEW
    assert [e.change.kind for e in step.events] == [ChangeKind.OPENED]
    assert {c.name for c in held.case.clocks} == {ClockName.FIRST_RESPONSE, ClockName.RESOLUTION}
    assert next_due(step.book, POLICY) == minutes(30)  # the 50% warning


def test_a_tweet_that_needs_no_reply_opens_nothing() -> None:
    step = on_tweet((), triaged("1", T0, needs_reply=False), POLICY)
    assert step.book == ()
    assert step.events == []


def test_follow_ups_thread_and_a_repeat_changes_nothing() -> None:
    step = opened()
    step = on_tweet(step.book, triaged("2", minutes(5)), POLICY)
    assert [e.id for e in case_of(step).case.thread] == ["1", "2"]
    assert case_of(step).version == 2
    again = on_tweet(step.book, triaged("2", minutes(5)), POLICY)
    assert again.book == step.book
    assert again.events == []


def test_brand_reply_meets_first_response_and_waits_on_the_customer() -> None:
    step = on_tweet(opened().book, triaged("2", minutes(12), outbound=True), POLICY)
    case = case_of(step).case
    assert case.state == CaseState.WAITING_ON_CUSTOMER
    assert case.first_response_at == minutes(12)
    clocks = {c.name: c for c in case.clocks}
    assert clocks[ClockName.FIRST_RESPONSE].status == ClockStatus.MET
    assert clocks[ClockName.RESOLUTION].status == ClockStatus.PAUSED
    # The customer answers: the resolution clock resumes and a next-response clock starts.
    step = on_tweet(step.book, triaged("3", minutes(100)), POLICY)
    clocks = {c.name: c for c in case_of(step).case.clocks}
    assert case_of(step).case.state == CaseState.NEW
    assert clocks[ClockName.RESOLUTION].status == ClockStatus.RUNNING
    assert clocks[ClockName.NEXT_RESPONSE].due_at == minutes(130)


def test_warnings_and_breach_fire_once_with_escalation() -> None:
    book = opened().book
    fired, hooks = [], []
    for at in (minutes(29), minutes(30), minutes(31), minutes(50), minutes(61), minutes(200)):
        step = on_tick(book, POLICY, at)
        book = step.book
        fired += [(e.change.kind, e.change.fraction, e.event_id) for e in step.events]
        hooks += [url for url, _ in step.webhooks]
    kinds = [(k, f) for k, f, _ in fired]
    assert kinds == [
        (ChangeKind.SLA_WARNING, 0.5),
        (ChangeKind.SLA_WARNING, 0.8),
        (ChangeKind.SLA_BREACH, None),
    ]
    assert len({i for _, _, i in fired}) == 3
    assert hooks == ["http://hooks.test/sla"]  # on breach only
    case = case_of(step).case
    assert (case.priority, case.queue) == (Priority.P2, "escalations")
    # Replaying the same input from the same state gives the same event ids (crash recovery).
    again = on_tick(opened().book, POLICY, minutes(61))
    assert [e.event_id for e in again.events] == [i for _, _, i in fired]


def test_a_response_before_due_means_no_breach_ever() -> None:
    book = on_tweet(opened().book, triaged("2", minutes(59), outbound=True), POLICY).book
    assert on_tick(book, POLICY, minutes(600)).events == []


def test_claim_collision_first_claim_wins() -> None:
    book = opened().book
    case_id = book[0].case.case_id
    first = on_action(book, action("claim", case_id, minutes(1), AGENT_A), POLICY, minutes(1))
    second = on_action(
        first.book, action("claim", case_id, minutes(1), AGENT_B), POLICY, minutes(1)
    )
    assert first.events[0].outcome is not None
    assert first.events[0].outcome.status == "applied"
    assert case_of(first).case.state == CaseState.ASSIGNED
    outcome = second.events[0].outcome
    assert outcome is not None
    assert (outcome.status, outcome.code) == ("rejected", "claimed_by_other")
    assert second.book == first.book  # never applied
    assert second.events[0].case_version == case_of(first).version


@pytest.mark.parametrize(
    ("state_actions", "kind", "code"),
    [
        (["resolve"], "resolve", "invalid_transition"),
        (["resolve"], "claim", "invalid_transition"),
        ([], "reopen", "invalid_transition"),
        (["no_reply"], "transfer", "invalid_transition"),
        ([], "release", "not_claimed"),
    ],
)
def test_invalid_transitions_are_rejected_with_a_code(
    state_actions: list[str], kind: str, code: str
) -> None:
    book = opened().book
    case_id = book[0].case.case_id
    for name in state_actions:
        book = on_action(book, action(name, case_id, minutes(1)), POLICY, minutes(1)).book
    extra = {"queue": "x"} if kind == "transfer" else {}
    step = on_action(book, action(kind, case_id, minutes(2), by(kind), **extra), POLICY, minutes(2))
    outcome = step.events[0].outcome
    assert outcome is not None
    assert (outcome.status, outcome.code) == ("rejected", code)
    assert step.book == book


def test_resolve_stops_clocks_and_a_customer_tweet_reopens_within_the_window() -> None:
    book = opened().book
    case_id = book[0].case.case_id
    book = on_action(book, action("resolve", case_id, minutes(5)), POLICY, minutes(5)).book
    assert case_of(Step(book)).case.state == CaseState.RESOLVED
    assert on_tick(book, POLICY, minutes(6000)).events == []  # stopped clocks never breach
    step = on_tweet(book, triaged("2", minutes(60 * 24)), POLICY)
    assert [e.change.kind for e in step.events] == [ChangeKind.REOPENED]
    assert case_of(step).case.reopen_count == 1
    # After the window a new case opens for the same conversation.
    late = on_tweet(book, triaged("3", minutes(60 * 24 * 3)), POLICY)
    assert len(late.book) == 2
    assert late.events[0].change.kind == ChangeKind.OPENED


def test_a_dm_case_is_answered_only_by_dm() -> None:
    book = on_tweet((), triaged("1", T0, channel=Channel.DM), POLICY).book
    case_id = book[0].case.case_id
    public = on_action(
        book,
        action("reply", case_id, minutes(1), reply_id="r1", text="Hello", channel="public"),
        POLICY,
        minutes(1),
    )
    assert public.outbox == []
    assert public.events[0].outcome is not None
    assert public.events[0].outcome.code == "dm_case_public_reply"
    dm = on_action(
        book,
        action("reply", case_id, minutes(1), reply_id="r2", text="Hello", channel="dm"),
        POLICY,
        minutes(1),
    )
    assert [(r.channel, r.dm_recipient_id) for r in dm.outbox] == [(Channel.DM, "4001")]


def test_a_posted_reply_is_recorded_and_the_response_counts_when_it_comes_back() -> None:
    book = opened().book
    case_id = book[0].case.case_id
    step = on_action(
        book,
        action("reply", case_id, minutes(3), reply_id="r1", text="Sorry!", channel="public"),
        POLICY,
        minutes(3),
    )
    assert [r.in_reply_to_tweet_id for r in step.outbox] == ["1"]
    result = OutboxResult(
        event_id="e1", reply_id="r1", case_id=case_id, case_key="acme:4001", status="posted",
        posted_tweet_id="77", attempted_at=minutes(4),
    )  # fmt: skip
    step = on_result(step.book, result, minutes(4))
    assert step.events[0].change.kind == ChangeKind.REPLY_POSTED
    assert case_of(step).case.first_response_at is None
    step = on_tweet(step.book, triaged("77", minutes(4), outbound=True), POLICY)
    assert case_of(step).case.first_response_at == minutes(4)


def test_versions_only_grow() -> None:
    step = opened()
    case_id = step.book[0].case.case_id
    versions = [e.case_version for e in step.events]
    for n, kind in enumerate(["claim", "note", "set_priority", "tag", "release"], start=1):
        extra = {"note": {"text": "called"}, "set_priority": {"priority": "P1"},
                 "tag": {"add": ["vip"]}}.get(kind, {})  # fmt: skip
        step = on_action(
            step.book, action(kind, case_id, minutes(n), by(kind), **extra), POLICY, minutes(n)
        )
        versions += [e.case_version for e in step.events]
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)


def test_a_timer_tick_emits_each_due_event_once() -> None:
    from services.sla.dispatch import apply

    step = apply(opened().book, None, POLICY, minutes(61))
    assert [e.change.kind for e in step.events] == [
        ChangeKind.SLA_WARNING, ChangeKind.SLA_WARNING, ChangeKind.SLA_BREACH,
    ]  # fmt: skip
    assert apply(step.book, None, POLICY, minutes(62)).events == []


def test_a_public_case_may_move_to_dm_and_a_late_answer_is_recorded() -> None:
    book = opened().book
    case_id = book[0].case.case_id
    dm = on_action(
        book,
        action("reply", case_id, minutes(1), reply_id="r3", text="Let's talk in DM", channel="dm"),
        POLICY,
        minutes(1),
    )
    assert [(r.channel, r.in_reply_to_tweet_id) for r in dm.outbox] == [(Channel.DM, None)]
    late = on_tick(book, POLICY, minutes(61)).book
    answered = on_tweet(late, triaged("9", minutes(75), outbound=True), POLICY)
    first = next(c for c in case_of(answered).case.clocks if c.name == ClockName.FIRST_RESPONSE)
    assert (first.status, first.met_at) == (ClockStatus.BREACHED, minutes(75))
