"""The timer heap: due keys come out in due order, once; rescheduling, cancelling and rebuilding
leave exactly the latest due time of each key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.sla.due_heap import DueHeap

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def heap_of(dues: dict[str, float]) -> DueHeap:
    heap = DueHeap()
    for key, seconds in dues.items():
        heap.schedule(key, at(seconds))
    return heap


@pytest.mark.parametrize(
    ("now", "popped", "left"),
    [
        (-1, [], 4),
        (0, ["acme:1"], 3),
        (25, ["acme:1", "acme:4"], 2),  # due order, not scheduling order
        (30, ["acme:1", "acme:4", "acme:2"], 1),  # due exactly now is due
        (3600, ["acme:1", "acme:4", "acme:2", "acme:3"], 0),
    ],
)
def test_pop_due_takes_what_is_due_earliest_first(now: float, popped: list[str], left: int) -> None:
    heap = heap_of({"acme:1": 0, "acme:2": 30, "acme:3": 90, "acme:4": 12.5})
    assert heap.pop_due(at(now)) == popped
    assert len(heap) == left


def test_a_popped_key_is_unscheduled_until_scheduled_again() -> None:
    heap = heap_of({"acme:1": 10})
    assert heap.pop_due(at(10)) == ["acme:1"]
    assert heap.pop_due(at(10_000)) == []
    heap.schedule("acme:1", at(20))
    assert heap.pop_due(at(20)) == ["acme:1"]


@pytest.mark.parametrize(
    ("first", "second", "popped_at_15", "popped_at_60"),
    [
        (30, 10, ["acme:1"], []),  # moved earlier: fires at the new time, once
        (10, 50, [], ["acme:1"]),  # moved later: the old entry is skipped
        (10, 10, ["acme:1"], []),  # the same time again: still once
    ],
)
def test_rescheduling_keeps_only_the_latest_due_time(
    first: float, second: float, popped_at_15: list[str], popped_at_60: list[str]
) -> None:
    heap = heap_of({"acme:1": first})
    heap.schedule("acme:1", at(second))
    assert len(heap) == 1
    assert heap.pop_due(at(15)) == popped_at_15
    assert heap.pop_due(at(60)) == popped_at_60


def test_scheduling_none_or_dropping_cancels() -> None:
    heap = heap_of({"acme:1": 5, "acme:2": 6, "acme:3": 7})
    heap.schedule("acme:1", None)
    heap.drop(["acme:2", "acme:unknown"])
    assert len(heap) == 1
    assert heap.pop_due(at(100)) == ["acme:3"]


def test_next_at_skips_stale_entries() -> None:
    heap = heap_of({"acme:1": 5, "acme:2": 40})
    heap.schedule("acme:1", at(70))
    assert heap.next_at() == at(40)
    heap.drop(["acme:2"])
    assert heap.next_at() == at(70)
    heap.drop(["acme:1"])
    assert heap.next_at() is None


def test_rebuild_replaces_everything_and_skips_cases_with_nothing_due() -> None:
    heap = heap_of({"acme:old": 1})
    heap.rebuild([("acme:1", at(30)), ("acme:2", None), ("acme:3", at(10))])
    assert len(heap) == 2
    assert heap.next_at() == at(10)
    assert heap.pop_due(at(3600)) == ["acme:3", "acme:1"]


def test_many_reschedules_still_fire_each_key_once_at_its_last_time() -> None:
    heap = DueHeap()
    for round_ in range(1_000):  # 10,000 pushes: enough stale entries to compact several times
        for key in range(10):
            heap.schedule(f"acme:{key}", at(round_ + key))
    assert len(heap) == 10
    assert heap.pop_due(at(999 + 4)) == [f"acme:{k}" for k in range(5)]
    assert heap.pop_due(at(10_000)) == [f"acme:{k}" for k in range(5, 10)]


def test_due_times_in_other_zones_compare_as_instants() -> None:
    tokyo = datetime(2026, 11, 23, 3, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    heap = DueHeap()
    heap.schedule("acme:1", tokyo)  # 18:00 UTC
    heap.schedule("acme:2", datetime(2026, 11, 22, 17, 59, tzinfo=UTC))
    assert heap.pop_due(datetime(2026, 11, 22, 18, 0, tzinfo=UTC)) == ["acme:2", "acme:1"]


def test_held_keys_stay_due_and_the_others_pop() -> None:
    heap = DueHeap()
    at = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    heap.schedule("a", at)
    heap.schedule("b", at + timedelta(seconds=1))
    heap.schedule("c", at + timedelta(seconds=2))
    later = at + timedelta(seconds=5)
    assert heap.pop_due(later, hold=lambda key: key == "b") == ["a", "c"]
    assert heap.due_at("b") == (at + timedelta(seconds=1)).timestamp()
    assert heap.pop_due(later) == ["b"]
