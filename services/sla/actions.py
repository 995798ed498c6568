"""Agent actions on a case: who may act, the transition table, collisions, and an outcome for
every action. Pure.

Collisions are decided here, in partition order: a reply claims an unclaimed case for the
replier and is refused on a case someone else holds; only the holder (or a supervisor) resolves,
closes without reply or marks spam a claimed case; a reply whose idempotency key the case has
applied already is a repeat (answered again, posted once).
"""

from __future__ import annotations

from datetime import datetime

from services.plumbing.casework import (
    ACTORS,
    SUPERVISORS,
    RejectedError,
    check,
    digest,
    held_by_other,
)
from services.plumbing.contracts.actions import (
    AgentAction,
    Claim,
    Correct,
    MarkSpam,
    NoReply,
    Note,
    OpenCase,
    Release,
    Reopen,
    Reply,
    Resolve,
    SetPriority,
    Tag,
    Transfer,
    Verdict,
)
from services.plumbing.contracts.cases import (
    ActionOutcome,
    Case,
    CaseEvent,
    CaseState,
    Change,
    ChangeKind,
    ThreadEntry,
)
from services.plumbing.contracts.common import Channel
from services.plumbing.contracts.outbox import OutboxReply
from services.sla import by_hand
from services.sla.book import Held, Step, event, find, replace
from services.sla.policies import Policy
from services.sla.tweets import restart_clocks

KEYS_KEPT = 50
"""Idempotency keys a case remembers (its newest replies)."""


def on_action(book: tuple[Held, ...], action: AgentAction, policy: Policy, now: datetime) -> Step:
    """Apply ``action`` or reject it; either way one event carries the outcome.

    An action on a case this key does not hold changes nothing and says nothing (the service
    counts and logs it); so does an open from someone who may not act (there is no case to
    answer on)."""
    if isinstance(action, OpenCase):
        return _open(book, action, policy, now) if action.actor.role in ACTORS else Step(book)
    held = find(book, action.case_id)
    if held is None:
        return Step(book)
    key = action.idempotency_key if isinstance(action, Reply) else None
    if key is not None and key in held.case.idempotency_keys:
        detail = f"reply {action.event_id} was applied already"
        return Step(book, [_unchanged(held, action, now, "repeat", detail, f":repeat:{key}")])
    try:
        check(held.case, action)
        case, change, outbox = _apply(held.case, action, policy, now)
    except RejectedError as no:
        rejected = event(
            held,
            Change(kind=ChangeKind.ACTION_REJECTED, detail=no.reason[:500], by=action.actor),
            now,
            f"action:{action.event_id}",
        ).model_copy(
            update={
                "outcome": ActionOutcome(
                    action_id=action.event_id, status="rejected", code=no.code, reason=no.reason
                )
            }
        )
        return Step(book, [rejected])
    new = Held(held.version + 1, case.model_copy(update={"updated_at": now}))
    applied = event(
        new, change.model_copy(update={"by": action.actor}), now, f"action:{action.event_id}"
    ).model_copy(update={"outcome": ActionOutcome(action_id=action.event_id, status="applied")})
    return Step(replace(book, new), [applied], outbox)


def _unchanged(
    held: Held, action: AgentAction, now: datetime, code: str, detail: str, repeat: str = ""
) -> CaseEvent:
    """An applied action that changed nothing (a repeat, a tweet that has its case): the case
    as it is, its version unchanged. ``repeat`` tells a repeat's event from the original's."""
    return event(
        held, Change(kind=ChangeKind.UNCHANGED, detail=detail[:500], by=action.actor), now,
        f"action:{action.event_id}{repeat}",
    ).model_copy(update={"outcome": ActionOutcome(action_id=action.event_id, status="applied",
                                                  code=code, reason=detail[:500])})  # fmt: skip


def _open(book: tuple[Held, ...], action: OpenCase, policy: Policy, now: datetime) -> Step:
    """Open a case from the tweet, or answer with the case it already has."""
    held = by_hand.existing(book, action)
    if held is not None:
        detail = f"tweet {action.tweet.tweet_id} already has this case"
        return Step(book, [_unchanged(held, action, now, "already_open", detail)])
    case, change = by_hand.opened(action, policy, now)
    new = Held(1, case)
    opened = event(new, change.model_copy(update={"by": action.actor}), now,
                   f"action:{action.event_id}")  # fmt: skip
    outcome = ActionOutcome(action_id=action.event_id, status="applied")
    return Step(replace(book, new), [opened.model_copy(update={"outcome": outcome})])


def _apply(
    case: Case, action: AgentAction, policy: Policy, now: datetime
) -> tuple[Case, Change, list[OutboxReply]]:
    match action:
        case Claim():
            if held_by_other(case, action):
                assert case.assignee is not None
                raise RejectedError("claimed_by_other", f"already claimed by {case.assignee.name}")
            state: CaseState = CaseState.ASSIGNED if case.state == CaseState.NEW else case.state
            return (
                case.model_copy(update={"assignee": action.actor, "state": state}),
                Change(kind=ChangeKind.CLAIMED),
                [],
            )
        case Release():
            if case.assignee is None:
                raise RejectedError("not_claimed", "the case is not claimed")
            if held_by_other(case, action) and action.actor.role not in SUPERVISORS:
                raise RejectedError(
                    "claimed_by_other", "only its assignee or a supervisor can release"
                )
            state = _unassigned(case.state)
            return (
                case.model_copy(update={"assignee": None, "state": state}),
                Change(kind=ChangeKind.RELEASED),
                [],
            )
        case Reply():
            return _reply(case, action)
        case Resolve():
            closed = by_hand.close(case, CaseState.RESOLVED, now)
            return closed, Change(kind=ChangeKind.STATE_CHANGED, detail=closed.state.value), []
        case NoReply() | MarkSpam():
            no_reply = isinstance(action, NoReply)
            state = CaseState.CLOSED_NO_REPLY if no_reply else CaseState.SPAM
            said = Verdict(needs_reply=False) if no_reply else Verdict(spam=True)
            reason = action.reason if isinstance(action, NoReply) else ""
            record = by_hand.correction(case, action.triage, said, action.actor, now, reason)
            return (
                by_hand.close(case, state, now),
                Change(kind=ChangeKind.STATE_CHANGED, detail=reason or state.value,
                       tweet_id=case.opening_tweet_id, correction=record),
                [],
            )  # fmt: skip
        case Correct():
            fixed, change = by_hand.corrected(case, action, now)
            return fixed, change, []
        case Reopen():
            reopened = case.model_copy(
                update={
                    "state": CaseState.NEW,
                    "assignee": None,
                    "resolved_at": None,
                    "reopen_count": case.reopen_count + 1,
                }
            )
            reopened = reopened.model_copy(update={"clocks": restart_clocks(reopened, policy, now)})
            return reopened, Change(kind=ChangeKind.REOPENED, detail="by an agent"), []
        case Transfer():
            return (
                case.model_copy(update={"queue": action.queue, "assignee": None,
                                        "state": _unassigned(case.state)}),
                Change(kind=ChangeKind.TRANSFERRED, detail=f"{case.queue} -> {action.queue}"),
                [],
            )  # fmt: skip
        case SetPriority():
            return (
                case.model_copy(update={"priority": action.priority}),
                Change(kind=ChangeKind.PRIORITY_CHANGED, detail=f"{case.priority.value} -> "
                       f"{action.priority.value}"),
                [],
            )  # fmt: skip
        case Tag():
            tags = [t for t in case.tags if t not in action.remove]
            tags += [t for t in action.add if t not in tags]
            return (
                case.model_copy(update={"tags": tags}),
                Change(kind=ChangeKind.TAGGED, detail=", ".join(tags)[:500]),
                [],
            )
        case Note():
            entry = ThreadEntry(kind="note", id=action.event_id, at=now, direction="internal")
            return (
                case.model_copy(update={"thread": [*case.thread, entry]}),
                Change(kind=ChangeKind.NOTED, detail=action.text[:500]),
                [],
            )
    raise RejectedError("unknown_action", f"unknown action {action.kind}")  # pragma: no cover


def _unassigned(state: CaseState) -> CaseState:
    return CaseState.NEW if state == CaseState.ASSIGNED else state


def _reply(case: Case, action: Reply) -> tuple[Case, Change, list[OutboxReply]]:
    """Request the reply, from the handle the agent chose (the API holds it to the brand's
    handles; a DM only from the case's, :func:`check`) or else the case's; an unclaimed case
    becomes the replier's (no two agents answer it)."""
    if case.channel == Channel.DM and action.channel != Channel.DM:
        raise RejectedError("dm_case_public_reply", "a DM case can only be answered by DM")
    update: dict[str, object] = {}
    if case.assignee is None:
        state = CaseState.ASSIGNED if case.state == CaseState.NEW else case.state
        update.update({"assignee": action.actor, "state": state})
    if action.idempotency_key is not None:
        update["idempotency_keys"] = [*case.idempotency_keys, action.idempotency_key][-KEYS_KEPT:]
    target = action.in_reply_to_tweet_id or case.last_customer_tweet_id or case.opening_tweet_id
    reply = OutboxReply(
        event_id=digest("outbox", action.reply_id),
        reply_id=action.reply_id,
        case_id=case.case_id,
        case_key=case.case_key,
        brand=case.brand,
        handle=action.handle or case.handle,
        channel=action.channel,
        in_reply_to_tweet_id=target if action.channel == Channel.PUBLIC else None,
        dm_recipient_id=case.customer.id if action.channel == Channel.DM else None,
        dm_conversation_id=case.conversation_ids[0] if action.channel == Channel.DM else None,
        text=action.text,
        requested_by=action.actor,
        requested_at=action.requested_at,
    )
    claimed = case.model_copy(update=update) if update else case
    return claimed, Change(kind=ChangeKind.REPLY_REQUESTED, detail=action.reply_id), [reply]
