"""No collisions, decided by the SLA service from the case it owns: a reply claims an unclaimed
case and is refused on one someone else holds; only the holder (or a supervisor) resolves,
no-replies or spams a claimed case; a reply whose key the case applied is a repeat, posted once;
an agent's supervisor-only action and an integrator's any action are refused. Time is a
parameter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.plumbing.contracts.actions import Actor, Role
from services.plumbing.contracts.cases import CaseEvent, CaseState, ChangeKind
from services.sla.actions import KEYS_KEPT, on_action
from services.sla.book import Held, Step
from services.sla.policies import load_policy
from services.sla.tweets import on_tweet
from tests.factories.sla import AGENT_A, AGENT_B, action, triaged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
POLICY = load_policy("default: {first_response: 60m, next_response: 30m, resolution: 1d}\n")
BOSS = Actor(id="boss", name="Sachiko", role=Role.SUPERVISOR)
CRM = Actor(id="crm", name="CRM", role=Role.INTEGRATOR)
REPLY = {"text": "Sorry! Checking.", "channel": "public"}


def at(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def fresh() -> tuple[tuple[Held, ...], str]:
    book = on_tweet((), triaged("1", T0), POLICY).book
    return book, book[0].case.case_id


def act(book: tuple[Held, ...], kind: str, who: Actor, n: float = 1, **extra: Any) -> Step:
    if kind == "reply":
        extra = {"reply_id": f"r-{n}", **REPLY, **extra}
    return on_action(book, action(kind, book[0].case.case_id, at(n), who, **extra), POLICY, at(n))


def outcome(step: Step) -> tuple[str, str]:
    assert len(step.events) == 1
    found = step.events[0].outcome
    assert found is not None
    return found.status, found.code


def test_a_reply_claims_an_unclaimed_case_for_the_replier() -> None:
    book, _ = fresh()
    step = act(book, "reply", AGENT_A)
    case = step.book[0].case
    assert outcome(step) == ("applied", "ok")
    assert (case.assignee, case.state) == (AGENT_A, CaseState.ASSIGNED)
    assert len(step.outbox) == 1


def test_of_two_replies_to_an_unclaimed_case_the_second_is_refused_and_never_posted() -> None:
    book, _ = fresh()
    first = act(book, "reply", AGENT_A)
    second = act(first.book, "reply", AGENT_B, 1.1)
    assert outcome(second) == ("rejected", "claimed_by_other")
    assert second.outbox == []
    assert second.book == first.book


def test_a_reply_to_a_case_claimed_by_someone_else_is_refused_even_from_a_supervisor() -> None:
    book = act(fresh()[0], "claim", AGENT_A).book
    assert outcome(act(book, "reply", BOSS, 2)) == ("rejected", "claimed_by_other")


def test_a_reply_on_a_waiting_case_keeps_it_waiting() -> None:
    book = on_tweet(fresh()[0], triaged("2", at(1), outbound=True), POLICY).book
    assert book[0].case.state == CaseState.WAITING_ON_CUSTOMER
    case = act(book, "reply", AGENT_A, 2).book[0].case
    assert (case.assignee, case.state) == (AGENT_A, CaseState.WAITING_ON_CUSTOMER)


CLOSING = [("resolve", {}), ("no_reply", {"reason": "chatter"}), ("spam", {})]


@pytest.mark.parametrize(("kind", "extra"), CLOSING)
@pytest.mark.parametrize(
    ("holder", "who", "answer"),
    [
        (AGENT_A, AGENT_B, ("rejected", "claimed_by_other")),  # someone else holds it
        (AGENT_A, AGENT_A, ("applied", "ok")),  # the holder
        (AGENT_A, BOSS, ("applied", "ok")),  # a supervisor
        (None, AGENT_B, ("applied", "ok")),  # nobody holds it
    ],
)
def test_only_the_holder_or_a_supervisor_closes_a_claimed_case(
    kind: str, extra: dict[str, str], holder: Actor | None, who: Actor, answer: tuple[str, str]
) -> None:
    book, _ = fresh()
    if holder is not None:
        book = act(book, "claim", holder).book
    step = act(book, kind, who, 2, **extra)
    assert outcome(step) == answer
    assert (step.book[0].case.state in (CaseState.NEW, CaseState.ASSIGNED)) == (
        answer[0] == "rejected"
    )


def _keyed(book: tuple[Held, ...], who: Actor, action_id: str, key: str, n: float) -> Step:
    reply = action(
        "reply", book[0].case.case_id, at(n), who, reply_id=f"r-{key}", idempotency_key=key, **REPLY
    ).model_copy(update={"event_id": action_id})
    return on_action(book, reply, POLICY, at(n))


def test_a_reply_with_a_key_already_applied_is_answered_as_a_repeat_and_posted_once() -> None:
    book, _ = fresh()
    first = _keyed(book, AGENT_A, "a-1", "k-1", 1)
    again = _keyed(first.book, AGENT_A, "a-1", "k-1", 3)
    assert first.book[0].case.idempotency_keys == ["k-1"]
    assert (len(first.outbox), again.outbox) == (1, [])
    assert outcome(again) == ("applied", "repeat")
    assert again.book == first.book
    event: CaseEvent = again.events[0]
    assert event.change.kind == ChangeKind.UNCHANGED
    assert event.case_version == first.events[0].case_version
    # A repeat's event is not the original's (the read model keeps both in the history).
    assert event.event_id != first.events[0].event_id


def test_a_repeat_is_answered_even_once_the_case_has_closed() -> None:
    book = _keyed(fresh()[0], AGENT_A, "a-1", "k-1", 1).book
    book = act(book, "resolve", AGENT_A, 2).book
    assert outcome(_keyed(book, AGENT_A, "a-1", "k-1", 3)) == ("applied", "repeat")


def test_another_key_is_another_reply_and_the_case_keeps_its_newest_keys() -> None:
    book = fresh()[0]
    for n in range(KEYS_KEPT + 1):
        step = _keyed(book, AGENT_A, f"a-{n}", f"k-{n}", 1 + n / 100)
        assert len(step.outbox) == 1
        book = step.book
    keys = book[0].case.idempotency_keys
    assert (len(keys), keys[0], keys[-1]) == (KEYS_KEPT, "k-1", f"k-{KEYS_KEPT}")


def test_a_reply_without_a_key_is_never_taken_for_a_repeat() -> None:
    book = act(fresh()[0], "reply", AGENT_A).book
    step = act(book, "reply", AGENT_A, 2)
    assert (outcome(step), len(step.outbox)) == (("applied", "ok"), 1)
    assert book[0].case.idempotency_keys == []


SUPERVISOR_ONLY = [("transfer", {"queue": "vip"}), ("set_priority", {"priority": "P1"})]


@pytest.mark.parametrize(("kind", "extra"), SUPERVISOR_ONLY)
@pytest.mark.parametrize(
    ("who", "answer"),
    [(AGENT_A, ("rejected", "forbidden_role")), (BOSS, ("applied", "ok"))],
)
def test_supervisor_only_actions_are_refused_from_an_agent(
    kind: str, extra: dict[str, str], who: Actor, answer: tuple[str, str]
) -> None:
    step = act(fresh()[0], kind, who, **extra)
    assert outcome(step) == answer


@pytest.mark.parametrize("who", [AGENT_A, BOSS])
def test_reopen_is_a_supervisors(who: Actor) -> None:
    book = act(fresh()[0], "resolve", AGENT_A).book
    answer = ("applied", "ok") if who is BOSS else ("rejected", "forbidden_role")
    assert outcome(act(book, "reopen", who, 2)) == answer


@pytest.mark.parametrize("kind", ["claim", "note", "reply"])
def test_an_integrator_acts_on_nothing(kind: str) -> None:
    extra = {"text": "hi"} if kind == "note" else {}
    step = act(fresh()[0], kind, CRM, **extra)
    assert outcome(step) == ("rejected", "forbidden_role")
    assert step.outbox == []
