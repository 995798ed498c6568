"""The rules every service applies to a case alike: its ids, and who may act on it from which
state. The SLA service (the owner of case state) decides with them in partition order; the API
asks the same before it sends an action, for a fast answer from its view of the case. Pure.
"""

from __future__ import annotations

import hashlib

from services.plumbing.contracts.actions import AgentAction, Correct, Reply, Role, Verdict
from services.plumbing.contracts.cases import Case, CaseState
from services.plumbing.contracts.common import Channel

CLOSED = frozenset({CaseState.RESOLVED, CaseState.CLOSED_NO_REPLY, CaseState.SPAM})


def digest(*parts: str) -> str:
    return hashlib.blake2b("|".join(parts).encode(), digest_size=16).hexdigest()


def case_id_for(case_key: str, opening_tweet_id: str) -> str:
    return digest("case", case_key, opening_tweet_id)


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
    "correct": OPEN | CLOSED,  # a closed case's labels can still be put right
}
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})
ACTORS = SUPERVISORS | {Role.AGENT}
"""Who may act at all (an integrator reads, never acts)."""
SUPERVISOR_ONLY = frozenset({"reopen", "transfer", "set_priority"})
HOLDER_ONLY = frozenset({"resolve", "no_reply", "spam"})
"""Actions only the holder of a claimed case (or a supervisor) may take."""


class RejectedError(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def check(case: Case, action: AgentAction) -> None:
    """Raise :class:`RejectedError` for an actor who may not do this, a state it may not start
    from, or a collision with the case's holder. The API asks the same before it sends (a fast
    answer from its view of the case); this service's answer, in partition order, is the one
    that holds. A DM (a reply to a DM case, or by DM) from another handle than the case's
    is refused."""
    role = action.actor.role
    if role not in ACTORS or (action.kind in SUPERVISOR_ONLY and role not in SUPERVISORS):
        raise RejectedError("forbidden_role", f"a {role.value} cannot "
                            f"{action.kind.replace('_', ' ')} a case")  # fmt: skip
    if case.state not in ALLOWED[action.kind]:
        raise RejectedError(
            "invalid_transition",
            f"cannot {action.kind.replace('_', ' ')} a case that is {case.state.value}",
        )
    closing = action.kind in HOLDER_ONLY or (
        isinstance(action, Correct) and closes(case, action.agent) is not None
    )
    if closing and held_by_other(case, action) and role not in SUPERVISORS:
        assert case.assignee is not None
        raise RejectedError("claimed_by_other", f"the case is claimed by {case.assignee.name}: "
                            "only they or a supervisor can close it")  # fmt: skip
    if isinstance(action, Reply) and held_by_other(case, action):
        assert case.assignee is not None
        raise RejectedError("claimed_by_other", f"the case is claimed by {case.assignee.name}")
    if isinstance(action, Reply) and action.handle is not None:
        # A DM conversation is the customer's with the case's account: another handle would
        # start a new one, from an account the customer never wrote to (or was nudged to).
        dm = Channel.DM in (case.channel, action.channel)
        if dm and not same_handle(action.handle, case.handle):
            raise RejectedError("dm_other_handle", f"a DM goes from @{case.handle}, the "
                                "case's handle, never from another")  # fmt: skip


def same_handle(one: str, other: str) -> bool:
    """Whether two spellings name one X handle (X ignores case and the leading ``@``)."""
    return one.lstrip("@").lower() == other.lstrip("@").lower()


def held_by_other(case: Case, action: AgentAction) -> bool:
    return case.assignee is not None and case.assignee.id != action.actor.id


def closes(case: Case, agent: Verdict) -> CaseState | None:
    """The state a correction closes an open case into: spam, or no reply needed; else None."""
    if case.state in CLOSED:
        return None
    if agent.spam:
        return CaseState.SPAM
    if agent.needs_reply is False:
        return CaseState.CLOSED_NO_REPLY
    return None
