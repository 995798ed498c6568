"""Business-hours arithmetic across weekends, holidays and DST; pauses and warning fractions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.plumbing.contracts.cases import ClockName, ClockStatus
from services.sla import clockwork
from services.sla.calendars import ALWAYS
from services.sla.policies import PolicyError, load_policy, seconds

POLICY = """
warn_at: [0.5, 0.8]
calendars:
  ny: {timezone: America/New_York, hours: {mon-fri: "09:00-17:00"}, holidays: [2026-11-26]}
  tokyo: {timezone: Asia/Tokyo, hours: {mon-fri: "09:00-12:00,13:00-18:00"}}
default: {first_response: 60m, next_response: 30m, resolution: 1d}
rules:
  - {name: ny-office, when: {queue: [us]}, first_response: 2h, calendar: ny}
  - {name: jp-office, when: {queue: [jp]}, calendar: tokyo}
"""
policy = load_policy(POLICY)
NY = policy.calendar("ny")
TOKYO = policy.calendar("tokyo")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cal", "start", "hours", "due"),
    [
        # Wednesday 16:00 New York + 2h: 1h Wednesday, Thanksgiving closed, Friday 10:00 EST.
        (NY, utc(2026, 11, 25, 21), 2, utc(2026, 11, 27, 15)),
        # Friday 16:30 + 1h: Monday 09:30 (the weekend does not count).
        (NY, utc(2026, 11, 27, 21, 30), 1, utc(2026, 11, 30, 14, 30)),
        # Saturday: the clock starts Monday 09:00.
        (NY, utc(2026, 11, 28, 15), 1, utc(2026, 11, 30, 15)),
        # DST starts Sunday 8 March 2026: Friday 16:00 EST + 2h = Monday 10:00 EDT (14:00 UTC).
        (NY, utc(2026, 3, 6, 21), 2, utc(2026, 3, 9, 14)),
        # DST ends Sunday 1 November 2026: Friday 16:00 EDT + 2h = Monday 10:00 EST (15:00 UTC).
        (NY, utc(2026, 10, 30, 20), 2, utc(2026, 11, 2, 15)),
        # Tokyo lunch break 12:00-13:00 does not count: 11:30 + 1h = 13:30 JST.
        (TOKYO, utc(2026, 11, 24, 2, 30), 1, utc(2026, 11, 24, 4, 30)),
        (ALWAYS, utc(2026, 11, 28, 15), 30, utc(2026, 11, 29, 21)),
    ],
)
def test_business_seconds(cal: object, start: datetime, hours: int, due: datetime) -> None:
    assert cal.add(start, hours * 3600) == due  # type: ignore[attr-defined]
    assert cal.between(start, due) == hours * 3600  # type: ignore[attr-defined]


def test_rules_pick_targets_and_calendars() -> None:
    from services.plumbing.contracts.common import Priority

    us = policy.resolve(queue="us", priority=Priority.P3, vip=False, brand="acme")
    assert (us.rule, us.calendar, us.targets[ClockName.FIRST_RESPONSE]) == ("ny-office", "ny", 7200)
    assert us.targets[ClockName.NEXT_RESPONSE] == 1800  # from the default
    other = policy.resolve(queue="general", priority=Priority.P3, vip=False, brand="acme")
    assert (other.rule, other.calendar) == ("default", "24/7")


def test_warnings_fire_at_fractions_and_pauses_push_everything_back() -> None:
    start = utc(2026, 11, 22, 10)
    clock = clockwork.start(ClockName.FIRST_RESPONSE, "default", 3600, [0.5, 0.8], ALWAYS, start)
    assert [(d.at, d.fraction) for d in clockwork.pending(clock, ALWAYS)] == [
        (start + timedelta(minutes=30), 0.5),
        (start + timedelta(minutes=48), 0.8),
        (start + timedelta(minutes=60), None),
    ]
    clock = clockwork.fire(clock, clockwork.pending(clock, ALWAYS)[0])
    paused = clockwork.pause(clock, ALWAYS, start + timedelta(minutes=40))
    assert (paused.status, paused.due_at, paused.remaining_seconds) == (
        ClockStatus.PAUSED, None, 1200.0,
    )  # fmt: skip
    assert clockwork.pending(paused, ALWAYS) == []
    resumed = clockwork.resume(paused, ALWAYS, start + timedelta(hours=3))
    dues = clockwork.pending(resumed, ALWAYS)
    # 20 minutes were left; the 0.8 warning is due when 12 minutes are left; 0.5 never again.
    assert [(d.at, d.fraction) for d in dues] == [
        (start + timedelta(hours=3, minutes=8), 0.8),
        (start + timedelta(hours=3, minutes=20), None),
    ]
    breached = clockwork.fire(resumed, dues[1])
    assert breached.status == ClockStatus.BREACHED
    assert clockwork.pending(breached, ALWAYS) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("calendars: {x: {timezone: Mars/Base, hours: {mon: '09:00-17:00'}}}", "unknown zone"),
        ("calendars: {x: {timezone: UTC, hours: {someday: '09:00-17:00'}}}", "mon-fri"),
        ("calendars: {x: {timezone: UTC, hours: {mon: 'nine to five'}}}", "09:00-18:00"),
        ("default: {first_response: soon}", "not a duration"),
        ("rules: [{name: a, calendar: nowhere}]", "unknown calendar"),
        ("warn_at: [1.5]", "between 0 and 1"),
        ("rules: [{name: a, colour: red}]", "rules.0.colour"),
    ],
)
def test_bad_policies_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_policy(text)


def test_durations() -> None:
    assert [seconds(v) for v in ("90", "90s", "60m", "4h", "2d", 15)] == [
        90, 90, 3600, 14400, 172800, 15,
    ]  # fmt: skip
