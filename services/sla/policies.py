"""SLA policies from YAML: targets per queue, priority and VIP; calendars; warnings; escalation.

```yaml
warn_at: [0.5, 0.8]            # fractions of each target
reopen_window: 7d              # a customer tweet this soon after resolution reopens the case
calendars:
  jp-office: {timezone: Asia/Tokyo, hours: {mon-fri: "09:00-18:00"}, holidays: [2026-12-31]}
default: {first_response: 60m, next_response: 60m, resolution: 24h, calendar: 24/7}
rules:                         # first match wins; unset targets come from the default
  - name: vip
    when: {vip: true}
    first_response: 15m
escalation:
  on_warning: []
  on_breach: [raise_priority, {move_to_queue: escalations}, {webhook: "https://..."}]
```
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.plumbing.contracts.cases import ClockName
from services.plumbing.contracts.common import Priority
from services.sla.calendars import ALWAYS, Calendar

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PolicyError(ValueError):
    """The SLA policy is invalid; the message names the field."""


def seconds(value: str | int | float) -> int:
    """``90``, ``"90s"``, ``"60m"``, ``"4h"``, ``"2d"`` in seconds."""
    if isinstance(value, int | float):
        return int(value)
    match = _DURATION.match(value)
    if not match:
        raise PolicyError(f"not a duration: {value!r} (use e.g. 90s, 60m, 4h, 2d)")
    return int(float(match.group(1)) * _UNIT[match.group(2)])


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CalendarSpec(_Frozen):
    timezone: str
    hours: dict[str, str]
    holidays: list[date] = Field(default_factory=list)


class Targets(_Frozen):
    first_response: int | None = None
    next_response: int | None = None
    resolution: int | None = None
    calendar: str | None = None

    @field_validator("first_response", "next_response", "resolution", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else seconds(value)


class When(_Frozen):
    queue: list[str] | None = None
    priority: list[Priority] | None = None
    vip: bool | None = None
    brand: list[str] | None = None


class Rule(Targets):
    name: str = Field(min_length=1, max_length=64)
    when: When = Field(default_factory=When)


class Escalation(_Frozen):
    on_warning: list[str | dict[str, str]] = Field(default_factory=list)
    on_breach: list[str | dict[str, str]] = Field(default_factory=list)


class PolicySpec(_Frozen):
    warn_at: list[float] = Field(default_factory=lambda: [0.5, 0.8])
    reopen_window: int = 7 * 86400
    calendars: dict[str, CalendarSpec] = Field(default_factory=dict)
    default: Targets = Field(
        default_factory=lambda: Targets(first_response=3600, next_response=3600, resolution=86400)
    )
    rules: list[Rule] = Field(default_factory=list)
    escalation: Escalation = Field(default_factory=Escalation)

    @field_validator("reopen_window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> Any:
        return seconds(value)


class Resolved(_Frozen):
    """The targets that apply to one case: a rule's name, seconds per clock, a calendar name."""

    rule: str
    targets: dict[ClockName, int]
    calendar: str


class Policy:
    """A validated policy with its calendars built."""

    def __init__(self, spec: PolicySpec) -> None:
        self.spec = spec
        self.calendars: dict[str, Calendar] = {"24/7": ALWAYS}
        for name, cal in spec.calendars.items():
            self.calendars[name] = _calendar(name, cal)
        for where, targets in [("default", spec.default), *((r.name, r) for r in spec.rules)]:
            if targets.calendar is not None and targets.calendar not in self.calendars:
                raise PolicyError(f"{where}: unknown calendar {targets.calendar!r}")
        if any(not 0 < f < 1 for f in spec.warn_at):
            raise PolicyError("warn_at: fractions must be between 0 and 1")
        self.warn_at = sorted(set(spec.warn_at))
        # Both answers depend only on the rule: remembered, they cost a dict lookup per case.
        self._completed: dict[tuple[str, int], Resolved] = {}
        self._rule_calendars: dict[str, Calendar] = {}

    def resolve(self, *, queue: str, priority: Priority, vip: bool, brand: str) -> Resolved:
        """The first matching rule's targets, completed from the default."""
        for rule in self.spec.rules:
            w = rule.when
            if (
                (w.queue is None or queue in w.queue)
                and (w.priority is None or priority in w.priority)
                and (w.vip is None or w.vip == vip)
                and (w.brand is None or brand in w.brand)
            ):
                return self._complete(rule.name, rule)
        return self._complete("default", self.spec.default)

    def _complete(self, name: str, targets: Targets) -> Resolved:
        key = (name, id(targets))  # the spec's own objects: they live as long as the policy
        known = self._completed.get(key)
        if known is None:
            known = self._completed[key] = self._completion(name, targets)
        return known

    def _completion(self, name: str, targets: Targets) -> Resolved:
        d = self.spec.default
        values = {
            ClockName.FIRST_RESPONSE: targets.first_response or d.first_response,
            ClockName.NEXT_RESPONSE: targets.next_response or d.next_response,
            ClockName.RESOLUTION: targets.resolution or d.resolution,
        }
        return Resolved(
            rule=name,
            targets={k: v for k, v in values.items() if v},
            calendar=targets.calendar or d.calendar or "24/7",
        )

    def calendar(self, name: str) -> Calendar:
        return self.calendars.get(name, ALWAYS)

    def calendar_of_rule(self, rule: str) -> Calendar:
        """The calendar a clock started under rule ``rule`` counts in."""
        known = self._rule_calendars.get(rule)
        if known is None:
            found = next((r for r in self.spec.rules if r.name == rule), None)
            known = self._rule_calendars[rule] = self.calendar(
                (found.calendar if found else None) or self.spec.default.calendar or "24/7"
            )
        return known

    def actions(self, on: str) -> list[str | dict[str, str]]:
        return list(getattr(self.spec.escalation, on))


def _calendar(name: str, spec: CalendarSpec) -> Calendar:
    try:
        zone = ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(f"calendars.{name}.timezone: unknown zone {spec.timezone!r}") from exc
    hours: dict[int, list[tuple[time, time]]] = {}
    for days, span in spec.hours.items():
        for day in _day_range(days, name):
            for window in span.split(","):
                opens, _, closes = window.strip().partition("-")
                try:
                    pair = (time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip()))
                except ValueError as exc:
                    raise PolicyError(
                        f"calendars.{name}.hours.{days}: {span!r} is not like 09:00-18:00"
                    ) from exc
                hours.setdefault(day, []).append(pair)
    return Calendar(
        name, zone, {d: tuple(sorted(w)) for d, w in hours.items()}, frozenset(spec.holidays)
    )


def _day_range(days: str, calendar: str) -> list[int]:
    first, _, last = days.lower().partition("-")
    if first not in _DAYS or (last and last not in _DAYS):
        raise PolicyError(f"calendars.{calendar}.hours: {days!r} is not like mon or mon-fri")
    start, end = _DAYS.index(first), _DAYS.index(last or first)
    return list(range(start, end + 1))


def load_policy(text: str) -> Policy:
    """Parse a YAML policy; raises :class:`PolicyError` naming the field."""
    try:
        raw: Any = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise PolicyError(f"SLA policy is not valid YAML: {exc}") from exc
    try:
        return Policy(PolicySpec.model_validate(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PolicyError(f"SLA policy: {where}: {first['msg']}") from exc


def quick_policy(first_response: int) -> Policy:
    """One 24/7 first-response target for every case (``--target first_response=60m``)."""
    return Policy(
        PolicySpec(
            default=Targets(first_response=first_response),
        )
    )


def window(policy: Policy) -> timedelta:
    return timedelta(seconds=policy.spec.reopen_window)
