"""What the X API costs this month, estimated from what was read and written. Pure.

X bills pay-per-use: reads per resource returned (posts, users, DM events), writes per request
(a post, a DM). The meter counts both by endpoint for the current UTC calendar month and prices
them from configuration; once the read spend reaches ``pause_fraction`` of the monthly read
budget, :meth:`CostMeter.pause_optional_polling` says so and the poller skips keyword search
(mentions, DMs and the stream go on: they are tweets addressed to the brand). X charges a
resource read twice in one UTC day once, so the estimate errs high.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum


class Usage(StrEnum):
    POST_READ = "post_read"
    USER_READ = "user_read"
    DM_EVENT_READ = "dm_event_read"
    POST_CREATE = "post_create"
    DM_CREATE = "dm_create"


READS = frozenset({Usage.POST_READ, Usage.USER_READ, Usage.DM_EVENT_READ})


@dataclass(frozen=True)
class Prices:
    """US dollars per resource read or per write request (X's published rates as defaults)."""

    post_read: Decimal = Decimal("0.005")
    user_read: Decimal = Decimal("0.010")
    dm_event_read: Decimal = Decimal("0.010")
    post_create: Decimal = Decimal("0.015")
    dm_create: Decimal = Decimal("0.015")

    def of(self, usage: Usage) -> Decimal:
        price: Decimal = getattr(self, usage.value)
        return price


@dataclass(frozen=True)
class Budget:
    """A monthly read budget in US dollars; optional polling pauses at ``pause_fraction`` of it."""

    monthly_read_usd: Decimal
    pause_fraction: Decimal = Decimal("0.9")

    def __post_init__(self) -> None:
        if self.monthly_read_usd < 0 or not 0 < self.pause_fraction <= 1:
            raise ValueError("budget must be >= 0 and pause_fraction in (0, 1]")


def month_of(now: datetime) -> str:
    """``2026-11``: the UTC calendar month the meter bills ``now`` to."""
    return now.astimezone(UTC).strftime("%Y-%m")


class CostMeter:
    """Reads and writes by (endpoint, usage) this month, their estimated price, the pause signal.

    One meter serves the stream thread, the poller and the outbox: its methods take a lock.
    """

    def __init__(self, prices: Prices, budget: Budget) -> None:
        self.prices = prices
        self.budget = budget
        self.month = ""
        self.counts: Counter[tuple[str, Usage]] = Counter()
        self._lock = threading.Lock()

    def _roll(self, now: datetime) -> None:
        month = month_of(now)
        if month != self.month:
            self.month = month
            self.counts = Counter()

    def record(self, endpoint: str, usage: Usage, count: int, *, now: datetime) -> None:
        """Count ``count`` resources read (or write requests) at ``endpoint``."""
        if count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._roll(now)
            if count:
                self.counts[(endpoint, usage)] += count

    def spend(self, now: datetime, *, reads_only: bool = False) -> Decimal:
        """The estimated spend of ``now``'s month so far, in US dollars."""
        with self._lock:
            self._roll(now)
            counts = list(self.counts.items())
        return sum(
            (self.prices.of(u) * n for (_, u), n in counts if u in READS or not reads_only),
            Decimal(0),
        )

    def pause_optional_polling(self, now: datetime) -> bool:
        """True once this month's read spend reaches ``pause_fraction`` of the read budget."""
        limit = self.budget.monthly_read_usd * self.budget.pause_fraction
        return self.spend(now, reads_only=True) >= limit
