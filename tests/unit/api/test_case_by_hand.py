"""The API's side of no collisions (pure): the early refusal holds an action to the SLA
service's rules before it is sent; a keyed reply's ids are the key's; a known outcome is
answered without sending again; a case opens from a customer's tweet only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from services.api.cases import outcomes
from services.api.cases.actions import Empty, ReplyBody, TransferBody, keyed_ids, reply, simple
from services.api.cases.by_hand import OpenBody, open_case, refuse_early
from services.api.errors import ConflictError, DomainError, ForbiddenError
from services.api.live.feed import LiveFeed
from services.plumbing.contracts.actions import Actor, AgentAction, Role
from services.plumbing.contracts.cases import CaseEvent
from services.sla.actions import on_action
from services.sla.policies import Policy, PolicySpec
from services.sla.tweets import on_tweet
from tests.factories.sla import AGENT_A, AGENT_B, triaged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
BOSS = Actor(id="boss", name="Sachiko", role=Role.SUPERVISOR)
POLICY = Policy(PolicySpec())


def _case(holder: Actor | None) -> Any:
    book = on_tweet((), triaged("1", T0), POLICY).book
    if holder is not None:
        claim = simple("claim", book[0].case, holder, Empty(), T0)
        book = on_action(book, claim, POLICY, T0).book
    return book[0].case


def _action(kind: str, case: Any, who: Actor) -> AgentAction:
    return simple(kind, case, who, TransferBody(queue="vip") if kind == "transfer" else Empty(), T0)


@pytest.mark.parametrize(
    ("kind", "holder", "who", "error", "code"),
    [
        ("resolve", AGENT_A, AGENT_B, ConflictError, "claimed_by_other"),
        ("spam", AGENT_A, AGENT_B, ConflictError, "claimed_by_other"),
        ("transfer", None, AGENT_A, ForbiddenError, "forbidden_role"),
    ],
)
def test_the_api_refuses_early_what_the_sla_service_would(
    kind: str, holder: Actor | None, who: Actor, error: type[DomainError], code: str
) -> None:
    case = _case(holder)
    with pytest.raises(error) as caught:
        refuse_early(case, _action(kind, case, who))
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("kind", "holder", "who"),
    [("resolve", AGENT_A, BOSS), ("resolve", AGENT_A, AGENT_A), ("spam", None, AGENT_B)],
)
def test_the_holder_a_supervisor_or_anyone_on_an_unclaimed_case_passes(
    kind: str, holder: Actor | None, who: Actor
) -> None:
    case = _case(holder)
    refuse_early(case, _action(kind, case, who))  # raises when refused


def test_a_reply_to_a_case_someone_else_holds_is_refused_early() -> None:
    case = _case(AGENT_A)
    action, _ = reply(case, AGENT_B, ReplyBody(text="Hi"), None, T0, False, "k-1")
    with pytest.raises(ConflictError, match="claimed by Aiko"):
        refuse_early(case, action)


def test_a_keyed_reply_has_the_keys_ids() -> None:
    case = _case(None)
    one, _ = reply(case, AGENT_A, ReplyBody(text="Hi"), None, T0, False, "k-1")
    two, _ = reply(case, AGENT_A, ReplyBody(text="Hi"), None, T0, False, "k-1")
    other, _ = reply(case, AGENT_A, ReplyBody(text="Hi"), None, T0, False, "k-2")
    unkeyed, _ = reply(case, AGENT_A, ReplyBody(text="Hi"), None, T0, False)
    assert (one.event_id, one.reply_id) == (two.event_id, two.reply_id)
    assert (one.event_id, one.reply_id) == keyed_ids(case.case_id, "k-1")
    assert one.idempotency_key == "k-1"
    assert other.event_id != one.event_id
    assert (unkeyed.idempotency_key, unkeyed.event_id != unkeyed.reply_id) == (None, True)


def test_an_action_whose_outcome_is_known_is_answered_and_not_sent_again() -> None:
    case = _case(None)
    action, _ = reply(case, AGENT_A, ReplyBody(text="Hi"), None, T0, False, "k-1")
    applied: CaseEvent = on_action(
        on_tweet((), triaged("1", T0), POLICY).book, action, POLICY, T0
    ).events[0]
    feed = LiveFeed(10)
    feed.publish(applied)
    sent: list[AgentAction] = []

    async def send(a: AgentAction) -> None:
        sent.append(a)

    status, body = asyncio.run(outcomes.submit(feed, send, action, 1))
    assert (status, body["action_id"], sent) == (200, action.event_id, [])


def test_a_case_opens_from_a_customers_tweet_only() -> None:
    tweet = triaged("5", T0).tweet.model_dump(mode="json")
    doc = {**tweet, "queue": "care", "priority": "P3", "topic": "other", "needs_reply": False,
           "sentiment": "neutral", "spam": False, "lang": "en"}  # fmt: skip
    made = open_case(doc, AGENT_A, OpenBody(), T0)
    assert (made.tweet.tweet_id, made.tweet.triage.needs_reply) == ("5", False)
    with pytest.raises(ConflictError) as caught:
        open_case({**doc, "direction": "outbound"}, AGENT_A, OpenBody(), T0)
    assert caught.value.code == "brand_tweet"
