"""Agent actions on a case: the transition table, and an outcome for every action. Pure."""

from __future__ import annotations

from datetime import datetime

from services.plumbing.contracts.actions import (
    AgentAction,
    Claim,
    MarkSpam,
    NoReply,
    Note,
    Release,
    Reopen,
    Reply,
    Resolve,
    Role,
    SetPriority,
    Tag,
    Transfer,
)
from services.plumbing.contracts.cases import (
    ActionOutcome,
    Case,
    CaseState,
    Change,
    ChangeKind,
    ClockStatus,
    ThreadEntry,
)
from services.plumbing.contracts.common import Channel
from services.plumbing.contracts.outbox import OutboxReply
from services.sla import clockwork as clocks
from services.sla.book import CLOSED, Held, Step, digest, event, find, replace
from services.sla.policies import Policy
from services.sla.tweets import restart_clocks

OPEN = frozenset({CaseState.NEW, CaseState.ASSIGNED, CaseState.WAITING_ON_CUSTOMER})
# Which states each action may start from (the transition table; anything else is rejected).
ALLOWED: dict[str, frozenset[CaseState]] = {
    "claim": OPEN,
    "release": OPEN,
    "reply": OPEN,
    "resolve": OPEN,
    "no_reply": OPEN,
    "spam": OPEN,
    "reopen": CLOSED,
    "transfer": OPEN,
    "set_priority": OPEN,
    "tag": OPEN | CLOSED,
    "note": OPEN | CLOSED,
}
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})


class RejectedError(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def on_action(book: tuple[Held, ...], action: AgentAction, policy: Policy, now: datetime) -> Step:
    """Apply ``action`` or reject it; either way one event carries the outcome."""
    held = find(book, action.case_id)
    if held is None:
        return Step(book)  # no such case under this key: the service counts and logs it
    try:
        if held.case.state not in ALLOWED[action.kind]:
            raise RejectedError(
                "invalid_transition",
                f"cannot {action.kind.replace('_', ' ')} a case that is {held.case.state.value}",
            )
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


def _held_by_other(case: Case, action: AgentAction) -> bool:
    return case.assignee is not None and case.assignee.id != action.actor.id


def _apply(
    case: Case, action: AgentAction, policy: Policy, now: datetime
) -> tuple[Case, Change, list[OutboxReply]]:
    match action:
        case Claim():
            if _held_by_other(case, action):
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
            if _held_by_other(case, action) and action.actor.role not in SUPERVISORS:
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
        case Resolve() | NoReply() | MarkSpam():
            closing: dict[str, tuple[CaseState, ChangeKind]] = {
                "resolve": (CaseState.RESOLVED, ChangeKind.STATE_CHANGED),
                "no_reply": (CaseState.CLOSED_NO_REPLY, ChangeKind.STATE_CHANGED),
                "spam": (CaseState.SPAM, ChangeKind.STATE_CHANGED),
            }
            state, kind = closing[action.kind]
            stopped = [clocks.finish(c, ClockStatus.STOPPED, now) for c in case.clocks]
            if state == CaseState.RESOLVED:
                stopped = [
                    clocks.finish(c, ClockStatus.MET, now) if c.name.value == "resolution" else c
                    for c in stopped
                ]
            detail = getattr(action, "reason", "") or state.value
            return (
                case.model_copy(update={"state": state, "resolved_at": now, "clocks": stopped}),
                Change(kind=kind, detail=detail),
                [],
            )
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
    if _held_by_other(case, action):
        assert case.assignee is not None
        raise RejectedError("claimed_by_other", f"the case is claimed by {case.assignee.name}")
    if case.channel == Channel.DM and action.channel != Channel.DM:
        raise RejectedError("dm_case_public_reply", "a DM case can only be answered by DM")
    target = action.in_reply_to_tweet_id or case.last_customer_tweet_id or case.opening_tweet_id
    reply = OutboxReply(
        event_id=digest("outbox", action.reply_id),
        reply_id=action.reply_id,
        case_id=case.case_id,
        case_key=case.case_key,
        brand=case.brand,
        handle=case.handle,
        channel=action.channel,
        in_reply_to_tweet_id=target if action.channel == Channel.PUBLIC else None,
        dm_recipient_id=case.customer.id if action.channel == Channel.DM else None,
        dm_conversation_id=case.conversation_ids[0] if action.channel == Channel.DM else None,
        text=action.text,
        requested_by=action.actor,
        requested_at=action.requested_at,
    )
    return case, Change(kind=ChangeKind.REPLY_REQUESTED, detail=action.reply_id), [reply]
