"""SLA clock arithmetic: start, pause, resume, meet, stop, and what is due at ``now``.

A running clock counts business seconds from ``started_at`` (the last start or resume) with
``remaining_seconds`` of its target left at that moment (the whole target when never paused).
Warnings and breaches already fired are recorded on the clock, so they never fire twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.plumbing.contracts.cases import Clock, ClockName, ClockStatus
from services.sla.calendars import Calendar


def start(
    name: ClockName, rule: str, target: int, warn_at: list[float], cal: Calendar, now: datetime
) -> Clock:
    return Clock(
        name=name,
        status=ClockStatus.RUNNING,
        policy=rule,
        target_seconds=target,
        started_at=now,
        due_at=cal.add(now, target),
        remaining_seconds=float(target),
        warn_fractions=list(warn_at),
    )


def _left(clock: Clock) -> float:
    return clock.remaining_seconds if clock.remaining_seconds is not None else clock.target_seconds


def pause(clock: Clock, cal: Calendar, now: datetime) -> Clock:
    if clock.status != ClockStatus.RUNNING:
        return clock
    left = max(0.0, _left(clock) - cal.between(clock.started_at, now))
    return clock.model_copy(
        update={"status": ClockStatus.PAUSED, "due_at": None, "remaining_seconds": left}
    )


def resume(clock: Clock, cal: Calendar, now: datetime) -> Clock:
    if clock.status != ClockStatus.PAUSED:
        return clock
    return clock.model_copy(
        update={
            "status": ClockStatus.RUNNING,
            "started_at": now,
            "due_at": cal.add(now, _left(clock)),
        }
    )


def finish(clock: Clock, status: ClockStatus, now: datetime) -> Clock:
    """Met (a response came) or stopped (resolved, closed); a breached clock keeps its breach."""
    if clock.status == ClockStatus.BREACHED and status == ClockStatus.MET and not clock.met_at:
        return clock.model_copy(update={"met_at": now})  # a late answer is still recorded
    if clock.status not in (ClockStatus.RUNNING, ClockStatus.PAUSED):
        return clock
    update: dict[str, object] = {"status": status, "due_at": None}
    if status == ClockStatus.MET:
        update["met_at"] = now
    return clock.model_copy(update=update)


@dataclass(frozen=True)
class Due:
    """One warning (``fraction``) or breach (``fraction`` None) of ``clock`` due at ``at``."""

    clock: ClockName
    at: datetime
    fraction: float | None


def pending(clock: Clock, cal: Calendar) -> list[Due]:
    """Warnings not yet fired and the breach, with their due instants, in time order."""
    if clock.status != ClockStatus.RUNNING or clock.due_at is None:
        return []
    left = _left(clock)
    out = []
    for fraction in clock.warn_fractions:
        if fraction in clock.warnings_fired:
            continue
        # The warning fires when (1 - fraction) of the target is left.
        before = left - (1 - fraction) * clock.target_seconds
        # A warning whose moment passed unfired (the clock was paused first) fires at once.
        at = cal.add(clock.started_at, before) if before >= 0 else clock.started_at
        out.append(Due(clock.name, at, fraction))
    out.append(Due(clock.name, clock.due_at, None))
    return sorted(out, key=lambda d: (d.at, d.fraction is None))


def next_at(clock: Clock, cal: Calendar) -> datetime | None:
    """The earliest of :func:`pending` (without building it): the next warning or the breach."""
    if clock.status != ClockStatus.RUNNING or clock.due_at is None:
        return None
    best = clock.due_at
    left = _left(clock)
    for fraction in clock.warn_fractions:
        if fraction in clock.warnings_fired:
            continue
        before = left - (1 - fraction) * clock.target_seconds
        at = cal.add(clock.started_at, before) if before >= 0 else clock.started_at
        if at < best:
            best = at
    return best


def fire(clock: Clock, due: Due) -> Clock:
    """Record a fired warning or breach on the clock."""
    if due.fraction is not None:
        return clock.model_copy(update={"warnings_fired": [*clock.warnings_fired, due.fraction]})
    return clock.model_copy(
        update={"status": ClockStatus.BREACHED, "breached_at": due.at, "due_at": None}
    )
