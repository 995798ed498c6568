"""The clock: what "now" is, read only where a program starts work, replaced in tests.

Deciding code takes ``now`` as an argument. Entry points and the adapters that wait (retries,
caches, pacing) take a :class:`Clock` and ask it; tests give them a :class:`FakeClock` and move
it, never sleep.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Wall time for timestamps, monotonic time for durations."""

    def now(self) -> datetime:
        """The current time, UTC, timezone-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never goes back (for durations)."""
        ...


class SystemClock:
    """The machine's clocks."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK = SystemClock()


class FakeClock:
    """A clock that moves only when told: :meth:`advance` moves both times, :meth:`set` the wall
    time alone (the monotonic time never goes back)."""

    def __init__(self, start: datetime, monotonic: float = 0.0) -> None:
        if start.tzinfo is None:
            raise ValueError("a FakeClock starts at a timezone-aware time")
        self._now = start.astimezone(UTC)
        self._monotonic = monotonic

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float | timedelta) -> None:
        step = seconds.total_seconds() if isinstance(seconds, timedelta) else seconds
        if step < 0:
            raise ValueError("a clock does not go back; use set() to move the wall time")
        self._now += timedelta(seconds=step)
        self._monotonic += step

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("set() takes a timezone-aware time")
        self._now = at.astimezone(UTC)
