"""When each replayed tweet is emitted: real-time factor, rate limit, or as fast as possible."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class PacingError(ValueError):
    """Pacing options make no sense; the message says which."""


@dataclass(frozen=True)
class Pacing:
    """``speed`` is a real-time factor (None: as fast as possible); ``rate`` caps tweets/s."""

    speed: float | None = None
    rate: float | None = None

    @classmethod
    def parse(cls, speed: str, rate: float | None) -> Pacing:
        """From ``--speed`` (a factor such as ``60``, or ``max``) and ``--rate``."""
        if rate is not None and rate <= 0:
            raise PacingError("--rate must be a positive number of tweets per second")
        if speed == "max":
            return cls(None, rate)
        try:
            factor = float(speed)
        except ValueError as exc:
            raise PacingError(f"--speed must be a number or 'max', not {speed!r}") from exc
        if factor <= 0:
            raise PacingError("--speed must be positive")
        return cls(factor, rate)

    def offset(self, index: int, event_time: datetime, first_event_time: datetime) -> float:
        """Seconds after the replay's start at which event number ``index`` is due."""
        by_time = 0.0
        if self.speed is not None:
            by_time = max(0.0, (event_time - first_event_time).total_seconds() / self.speed)
        by_rate = index / self.rate if self.rate is not None else 0.0
        return max(by_time, by_rate)
