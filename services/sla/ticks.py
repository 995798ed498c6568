"""SLA warnings, breaches and escalation at ``now``; when a book next needs a look. Pure."""

from __future__ import annotations

from datetime import datetime

from services.plumbing.casework import CLOSED
from services.plumbing.contracts.cases import Case, Change, ChangeKind
from services.plumbing.contracts.common import Priority
from services.sla import clockwork as clocks
from services.sla.book import Held, Step, event, replace
from services.sla.policies import Policy

_HIGHER = {Priority.P4: Priority.P3, Priority.P3: Priority.P2, Priority.P2: Priority.P1}


def next_due(book: tuple[Held, ...], policy: Policy) -> datetime | None:
    """The earliest warning or breach due in any open case of the book."""
    best: datetime | None = None
    for held in book:
        if held.case.state in CLOSED:
            continue
        for clock in held.case.clocks:
            at = clocks.next_at(clock, policy.calendar_of_rule(clock.policy))
            if at is not None and (best is None or at < best):
                best = at
    return best


def on_tick(book: tuple[Held, ...], policy: Policy, now: datetime) -> Step:
    """Fire every warning and breach due by ``now`` (each once: recorded on its clock)."""
    events, webhooks = [], []
    for held in book:
        if held.case.state in CLOSED:
            continue
        current = held
        for index, clock in enumerate(held.case.clocks):
            for due in clocks.pending(clock, policy.calendar_of_rule(clock.policy)):
                if due.at > now:
                    break
                case = current.case
                fired = clocks.fire(case.clocks[index], due)
                case = case.model_copy(
                    update={"clocks": [*case.clocks[:index], fired, *case.clocks[index + 1 :]]}
                )
                breach = due.fraction is None
                case, detail = _escalate(case, policy, "on_breach" if breach else "on_warning")
                current = Held(current.version + 1, case.model_copy(update={"updated_at": now}))
                what = "breach" if breach else f"warning {due.fraction:g}"
                change = Change(
                    kind=ChangeKind.SLA_BREACH if breach else ChangeKind.SLA_WARNING,
                    clock=due.clock,
                    fraction=due.fraction,
                    due_at=due.at,
                    detail=f"{due.clock.value} {what}{detail}",
                )
                identity = f"{due.clock.value}:{due.fraction or 'breach'}:{clock.started_at}"
                fired_event = event(current, change, now, identity)
                events.append(fired_event)
                for url in _webhooks(policy, "on_breach" if breach else "on_warning"):
                    webhooks.append((url, fired_event))
        if current is not held:
            book = replace(book, current)
    return Step(book, events, [], webhooks)


def _escalate(case: Case, policy: Policy, on: str) -> tuple[Case, str]:
    notes = []
    for action in policy.actions(on):
        if action == "raise_priority" and case.priority in _HIGHER:
            case = case.model_copy(update={"priority": _HIGHER[case.priority]})
            notes.append(f"priority {case.priority.value}")
        elif isinstance(action, dict) and "move_to_queue" in action:
            case = case.model_copy(update={"queue": action["move_to_queue"]})
            notes.append(f"queue {action['move_to_queue']}")
    return case, (f"; escalated: {', '.join(notes)}" if notes else "")


def _webhooks(policy: Policy, on: str) -> list[str]:
    return [a["webhook"] for a in policy.actions(on) if isinstance(a, dict) and "webhook" in a]
