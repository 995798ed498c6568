"""Tweets into cases: open, thread, respond, reopen. Pure; ``at`` is the tweet's own time."""

from __future__ import annotations

from datetime import datetime

from services.plumbing.casework import CLOSED, case_id_for
from services.plumbing.contracts.cases import (
    Case,
    CaseState,
    Change,
    ChangeKind,
    Clock,
    ClockName,
    ClockStatus,
    ThreadEntry,
)
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.tweets import TriagedTweet
from services.sla import clockwork as clocks
from services.sla.book import Held, Step, event, for_conversation, replace
from services.sla.policies import Policy


def _entry(tt: TriagedTweet) -> ThreadEntry:
    t = tt.tweet
    return ThreadEntry(
        kind="tweet",
        id=t.tweet_id,
        at=t.created_at,
        direction="inbound" if t.direction == Direction.INBOUND else "outbound",
        needs_reply=tt.triage.needs_reply,
    )


def _open(tt: TriagedTweet, policy: Policy) -> Case:
    t, tri = tt.tweet, tt.triage
    at = t.created_at
    resolved = policy.resolve(
        queue=tri.queue, priority=tri.priority, vip=tri.influence.vip, brand=t.brand
    )
    cal = policy.calendar(resolved.calendar)
    started = [
        clocks.start(name, resolved.rule, target, policy.warn_at, cal, at)
        for name, target in resolved.targets.items()
        if name != ClockName.NEXT_RESPONSE
    ]
    return Case(
        case_id=case_id_for(t.case_key, t.tweet_id),
        case_key=t.case_key,
        brand=t.brand,
        handle=t.handle,
        customer=t.author,
        channel=t.channel,
        state=CaseState.NEW,
        queue=tri.queue,
        priority=tri.priority,
        vip=tri.influence.vip,
        topic=tri.topic,
        lang=tri.lang,
        sentiment=tri.sentiment,
        model_version=tt.model_version,
        conversation_ids=[t.dm_conversation_id or t.conversation_id],
        opening_tweet_id=t.tweet_id,
        last_customer_tweet_id=t.tweet_id,
        opened_at=at,
        updated_at=at,
        clocks=started,
        thread=[_entry(tt)],
    )


def conversation_of(tt: TriagedTweet) -> str:
    return tt.tweet.dm_conversation_id or tt.tweet.conversation_id


def on_tweet(book: tuple[Held, ...], tt: TriagedTweet, policy: Policy) -> Step:
    """Apply one triaged tweet to the customer's book of cases."""
    if any(e.id == tt.tweet.tweet_id for h in book for e in h.case.thread):
        return Step(book)  # seen before (a replayed input): nothing changes
    held = for_conversation(book, conversation_of(tt))
    if held is None and tt.tweet.direction == Direction.OUTBOUND:
        # A brand tweet outside a known conversation answers the customer's one open case.
        open_cases = [h for h in book if h.case.state not in CLOSED]
        held = open_cases[0] if len(open_cases) == 1 else None
    if tt.tweet.direction == Direction.OUTBOUND:
        return _outbound(book, held, tt, policy)
    return _inbound(book, held, tt, policy)


def _inbound(book: tuple[Held, ...], held: Held | None, tt: TriagedTweet, policy: Policy) -> Step:
    at = tt.tweet.created_at
    needs = tt.triage.needs_reply
    if held is not None and held.case.state in CLOSED:
        closed_at = held.case.resolved_at or held.case.updated_at
        within = (at - closed_at).total_seconds() <= policy.spec.reopen_window
        if needs and within and held.case.state != CaseState.SPAM:
            return _reopen_by_customer(book, held, tt, policy)
        if needs:
            held = None  # too late to reopen: a new case
        else:
            return _add(book, held, tt, ChangeKind.TWEET_ADDED, "after close; no reply needed")
    if held is None:
        if not needs:
            return Step(book)  # kept in the tweet history (tweets.triaged); opens nothing
        case = _open(tt, policy)
        new = Held(1, case)
        return Step(
            replace(book, new),
            [event(new, Change(kind=ChangeKind.OPENED, tweet_id=tt.tweet.tweet_id), at, "opened")],
        )
    case = held.case
    update: dict[str, object] = {"last_customer_tweet_id": tt.tweet.tweet_id}
    detail = "customer follow-up"
    new_clocks = list(case.clocks)
    if case.state == CaseState.WAITING_ON_CUSTOMER:
        update["state"] = CaseState.ASSIGNED if case.assignee else CaseState.NEW
        new_clocks = [clocks.resume(c, policy.calendar_of_rule(c.policy), at) for c in new_clocks]
        detail = "customer answered; clocks resume"
    if needs and case.first_response_at is not None:
        new_clocks = _start_next_response(case, new_clocks, policy, at)
    update["clocks"] = new_clocks
    return _add(book, Held(held.version, case.model_copy(update=update)), tt,
                ChangeKind.TWEET_ADDED, detail)  # fmt: skip


def _start_next_response(
    case: Case, current: list[Clock], policy: Policy, at: datetime
) -> list[Clock]:
    if any(c.name == ClockName.NEXT_RESPONSE and c.status == ClockStatus.RUNNING for c in current):
        return current
    resolved = policy.resolve(
        queue=case.queue, priority=case.priority, vip=case.vip, brand=case.brand
    )
    target = resolved.targets.get(ClockName.NEXT_RESPONSE)
    if target is None:
        return current
    others = [c for c in current if c.name != ClockName.NEXT_RESPONSE]
    cal = policy.calendar(resolved.calendar)
    return [*others, clocks.start(ClockName.NEXT_RESPONSE, resolved.rule, target,
                                  policy.warn_at, cal, at)]  # fmt: skip


def _reopen_by_customer(
    book: tuple[Held, ...], held: Held, tt: TriagedTweet, policy: Policy
) -> Step:
    at = tt.tweet.created_at
    case = held.case.model_copy(
        update={
            "state": CaseState.NEW,
            "assignee": None,
            "resolved_at": None,
            "reopen_count": held.case.reopen_count + 1,
            "last_customer_tweet_id": tt.tweet.tweet_id,
        }
    )
    case = case.model_copy(update={"clocks": restart_clocks(case, policy, at)})
    return _add(book, Held(held.version, case), tt, ChangeKind.REOPENED, "customer wrote again")


def restart_clocks(case: Case, policy: Policy, at: datetime) -> list[Clock]:
    """After a reopen: a next-response (or first-response) clock and a fresh resolution clock."""
    resolved = policy.resolve(
        queue=case.queue, priority=case.priority, vip=case.vip, brand=case.brand
    )
    cal = policy.calendar(resolved.calendar)
    kept = [c for c in case.clocks if c.status in (ClockStatus.MET, ClockStatus.BREACHED)]
    kept = [c for c in kept if c.name == ClockName.FIRST_RESPONSE]
    wanted = [ClockName.RESOLUTION]
    wanted.append(ClockName.NEXT_RESPONSE if case.first_response_at else ClockName.FIRST_RESPONSE)
    started = [
        clocks.start(name, resolved.rule, resolved.targets[name], policy.warn_at, cal, at)
        for name in wanted
        if name in resolved.targets
    ]
    return [*kept, *started]


def _outbound(book: tuple[Held, ...], held: Held | None, tt: TriagedTweet, policy: Policy) -> Step:
    if held is None:
        return Step(book)  # a brand tweet to no open case: history only
    case = held.case
    at = tt.tweet.created_at
    if case.state in CLOSED:
        return _add(book, held, tt, ChangeKind.TWEET_ADDED, "brand tweet after close")
    new_clocks = []
    for c in case.clocks:
        if c.name in (ClockName.FIRST_RESPONSE, ClockName.NEXT_RESPONSE):
            c = clocks.finish(c, ClockStatus.MET, at)
        elif c.name == ClockName.RESOLUTION:
            c = clocks.pause(c, policy.calendar_of_rule(c.policy), at)  # waiting on the customer
        new_clocks.append(c)
    update = {
        "first_response_at": case.first_response_at or at,
        "last_response_at": at,
        "state": CaseState.WAITING_ON_CUSTOMER,
        "clocks": new_clocks,
    }
    return _add(book, Held(held.version, case.model_copy(update=update)), tt,
                ChangeKind.RESPONDED, "brand replied")  # fmt: skip


def _add(
    book: tuple[Held, ...], held: Held, tt: TriagedTweet, kind: ChangeKind, detail: str
) -> Step:
    at = tt.tweet.created_at
    case = held.case
    conversation = conversation_of(tt)
    conversations = case.conversation_ids
    if conversation not in conversations:
        conversations = [*conversations, conversation]
    case = case.model_copy(
        update={
            "thread": [*case.thread, _entry(tt)],
            "conversation_ids": conversations,
            "updated_at": max(case.updated_at, at),
        }
    )
    new = Held(held.version + 1, case)
    change = Change(kind=kind, detail=detail, tweet_id=tt.tweet.tweet_id)
    return Step(replace(book, new), [event(new, change, at, f"tweet:{tt.tweet.tweet_id}")])
