"""What agents decide by hand: open a case from a tweet (要対応), close one that needs no reply
(対応しない), correct triage. Pure.

Each of these carries a :class:`~services.plumbing.contracts.cases.Correction` on its change:
what triage said of the tweet and what the agent said, with the agent and the time, so a reader
of ``cases.events`` (learning from agents) needs nothing else.
"""

from __future__ import annotations

from datetime import datetime

from services.plumbing.casework import CLOSED, case_id_for, closes
from services.plumbing.contracts.actions import Actor, Correct, OpenCase, Verdict
from services.plumbing.contracts.cases import (
    Case,
    CaseState,
    Change,
    ChangeKind,
    ClockName,
    ClockStatus,
    Correction,
    ThreadEntry,
)
from services.sla import clockwork as clocks
from services.sla.book import Held, find, for_conversation
from services.sla.policies import Policy


def triage_of(case: Case) -> Verdict:
    """What triage said, as far as the case knows it (the opening tweet's needs-reply; the
    case's topic and sentiment, which a correction may have changed since)."""
    opening = next((e for e in case.thread if e.id == case.opening_tweet_id), None)
    return Verdict(topic=case.topic, sentiment=case.sentiment,
                   needs_reply=opening.needs_reply if opening else None)  # fmt: skip


def correction(
    case: Case, triage: Verdict | None, agent: Verdict, actor: Actor, now: datetime, reason: str
) -> Correction:
    """The record of ``agent``'s verdict on the case's opening tweet against triage's
    (``triage`` as the action brought it, else what the case knows)."""
    return Correction(
        tweet_id=case.opening_tweet_id, triage=triage or triage_of(case), agent=agent,
        agent_id=actor.id, at=now, reason=reason,
    )  # fmt: skip


def close(case: Case, state: CaseState, now: datetime) -> Case:
    """``case`` resolved, closed without reply or spam at ``now``: every clock stops (resolving
    meets the resolution clock)."""
    stopped = [clocks.finish(c, ClockStatus.STOPPED, now) for c in case.clocks]
    if state == CaseState.RESOLVED:
        stopped = [clocks.finish(c, ClockStatus.MET, now) if c.name == ClockName.RESOLUTION
                   else c for c in stopped]  # fmt: skip
    return case.model_copy(update={"state": state, "resolved_at": now, "clocks": stopped})


def corrected(case: Case, action: Correct, now: datetime) -> tuple[Case, Change]:
    """The case with the agent's topic and sentiment (and closed, when the agent says it is
    spam or needs no reply), and the change that records triage's verdict against theirs."""
    agent = action.agent
    update: dict[str, object] = {}
    if agent.topic is not None:
        update["topic"] = agent.topic
    if agent.sentiment is not None:
        update["sentiment"] = agent.sentiment
    new = case.model_copy(update=update)
    state = closes(case, agent)
    if state is not None:
        new = close(new, state, now)
    said = ", ".join(f"{k}: {getattr(v, 'value', v)}" for k, v in agent.said().items())
    record = correction(case, action.triage, agent, action.actor, now, action.reason)
    return new, Change(kind=ChangeKind.CORRECTED, detail=said[:500],
                       tweet_id=case.opening_tweet_id, correction=record)  # fmt: skip


def existing(book: tuple[Held, ...], action: OpenCase) -> Held | None:
    """The case the tweet already has: the one it would open, one whose thread holds it, or
    its conversation's open case."""
    t = action.tweet
    held = find(book, case_id_for(action.case_key, t.tweet_id))
    held = held or next((h for h in book if any(e.id == t.tweet_id for e in h.case.thread)), None)
    if held is None:
        theirs = for_conversation(book, t.dm_conversation_id or t.conversation_id)
        held = theirs if theirs is not None and theirs.case.state not in CLOSED else None
    return held


def opened(action: OpenCase, policy: Policy, now: datetime) -> tuple[Case, Change]:
    """A new case from the tweet, its clocks started at ``now`` (when the agent took it on:
    a tweet found days later has not been waiting on a promise), in ``action.queue`` or the
    tweet's, unassigned."""
    t = action.tweet
    queue = action.queue or t.queue
    resolved = policy.resolve(queue=queue, priority=t.priority, vip=t.vip, brand=t.brand)
    cal = policy.calendar(resolved.calendar)
    started = [
        clocks.start(name, resolved.rule, target, policy.warn_at, cal, now)
        for name, target in resolved.targets.items()
        if name != ClockName.NEXT_RESPONSE
    ]
    entry = ThreadEntry(kind="tweet", id=t.tweet_id, at=t.created_at, direction="inbound",
                        needs_reply=True)  # fmt: skip
    case = Case(
        case_id=case_id_for(action.case_key, t.tweet_id), case_key=action.case_key,
        brand=t.brand, handle=t.handle, customer=t.author, channel=t.channel,
        state=CaseState.NEW, queue=queue, priority=t.priority, vip=t.vip,
        topic=t.triage.topic, lang=t.lang, sentiment=t.triage.sentiment,
        model_version=t.model_version,
        conversation_ids=[t.dm_conversation_id or t.conversation_id],
        opening_tweet_id=t.tweet_id, last_customer_tweet_id=t.tweet_id,
        opened_at=now, updated_at=now, clocks=started, thread=[entry],
    )  # fmt: skip
    record = Correction(tweet_id=t.tweet_id, triage=t.triage, agent=Verdict(needs_reply=True),
                        agent_id=action.actor.id, at=now, reason=action.reason)  # fmt: skip
    detail = f"opened by agent: {action.reason}" if action.reason else "opened by agent"
    return case, Change(kind=ChangeKind.OPENED, detail=detail[:500], tweet_id=t.tweet_id,
                        correction=record)  # fmt: skip
