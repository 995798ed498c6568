"""Business-hours calendars: weekly opening hours in a time zone, holidays, or 24/7.

SLA clocks count business seconds. ``add`` finds when a number of business seconds will have
passed; ``between`` counts them. Local wall-clock hours are turned into UTC instants day by day, so
a DST change moves the instants, never the opening hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 800  # a target never spans more than this many calendar days


@dataclass(frozen=True)
class Calendar:
    """``hours`` maps weekday (0 = Monday) to its opening windows; ``None`` zone means 24/7."""

    name: str
    zone: ZoneInfo | None = None
    hours: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return self.zone is None

    def _windows(self, day: date) -> list[tuple[datetime, datetime]]:
        assert self.zone is not None
        if day in self.holidays:
            return []
        out = []
        for opens, closes in self.hours.get(day.weekday(), ()):
            start = datetime.combine(day, opens, self.zone).astimezone(UTC)
            end = (
                datetime.combine(day + timedelta(days=1), time(0), self.zone)
                if closes == time(0)
                else datetime.combine(day, closes, self.zone)
            ).astimezone(UTC)
            out.append((start, end))
        return out

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when ``seconds`` business seconds after ``start`` have passed."""
        if self.always_open:
            return start + timedelta(seconds=seconds)
        assert self.zone is not None
        left = timedelta(seconds=seconds)
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        for _ in range(MAX_DAYS):
            for opens, closes in self._windows(day):
                begin = max(opens, start)
                if begin >= closes:
                    continue
                if begin + left <= closes:
                    return begin + left
                left -= closes - begin
            day += timedelta(days=1)
        raise ValueError(f"calendar {self.name}: no business time within {MAX_DAYS} days")

    def between(self, start: datetime, end: datetime) -> float:
        """Business seconds from ``start`` to ``end`` (0 when ``end`` is not later)."""
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds()
        assert self.zone is not None
        total = timedelta()
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date() + timedelta(days=1)
        while day <= last:
            for opens, closes in self._windows(day):
                begin, finish = max(opens, start), min(closes, end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds()


ALWAYS = Calendar("24/7")
