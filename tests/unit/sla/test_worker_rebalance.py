"""The SLA worker across a rebalance (no Kafka is reached: nothing here may publish).

Between giving partitions up and being assigned again, a worker fires no timer (the partitions'
next owner may already fire it) and applies no batch polled before the rebalance (the records
of partitions it keeps are fetched again from their committed offsets)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from services.plumbing.clock import FakeClock
from services.plumbing.contracts.codecs import TWEETS_TRIAGED
from services.plumbing.contracts.tweets import Author
from services.plumbing.metrics import new_registry
from services.plumbing.records import Record
from services.sla.engine import Incoming
from services.sla.metrics import SlaMetrics
from services.sla.policies import load_policy
from services.sla.service import Worker
from services.sla.settings import SlaSettings
from tests.factories.sla import triaged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
POLICY = load_policy("warn_at: [0.5]\ndefault: {first_response: 60s, resolution: 1h}\n")
SETTINGS = SlaSettings(kafka_bootstrap="127.0.0.1:1")  # never reached


def _worker(clock: FakeClock) -> Worker:
    worker = Worker(SETTINGS, POLICY, SlaMetrics(new_registry()), clock=clock)
    tt = triaged("90001", T0, conversation="90001", customer=Author(id="5001", handle="c1"))
    worker.engine.own(0, [])
    worker.engine.apply([Incoming(tt.tweet.case_key, 0, tt)], T0)
    worker.owned = {0}
    return worker


def test_no_timer_fires_between_revocation_and_assignment() -> None:
    async def scenario() -> tuple[float | None, int]:
        clock = FakeClock(T0)
        worker = _worker(clock)
        await worker.revoked({0})
        clock.advance(timedelta(minutes=5))  # the warning and the breach are both due
        await worker.fire_due()  # would publish (and fail: no Kafka) if it fired
        return worker.engine.heap.due_at("acme:5001"), worker.generation

    due, generation = asyncio.run(scenario())
    assert due == (T0 + timedelta(seconds=30)).timestamp()  # still waiting, not popped
    assert generation == 1


def test_a_batch_polled_before_a_rebalance_is_dropped_whole() -> None:
    async def scenario() -> tuple[bool, int]:
        clock = FakeClock(T0)
        worker = _worker(clock)
        polled_in = worker.generation
        await worker.revoked(set())  # a rebalance that took nothing away still re-fetches
        worker.owned = {0}
        tt = triaged("90002", T0, conversation="90001", customer=Author(id="5001", handle="c1"))
        message = Record(SETTINGS.sla_triaged_topic, 0, 7, b"acme:5001", TWEETS_TRIAGED.encode(tt))
        # (it would publish if applied: no Kafka is reached here)
        applied = await worker.apply_messages([message], generation=polled_in)
        (held,) = worker.engine.book("acme:5001")
        return applied, len(held.case.thread)

    applied, thread = asyncio.run(scenario())
    assert applied is False  # the caller rewinds (tests/integration/sla/test_rewind.py)
    assert thread == 1  # the second tweet was not threaded in


def test_a_partition_catching_up_fires_no_timer_until_its_inputs_are_applied_again() -> None:
    """The previous owner may have announced effects (a reply met a clock) of inputs it never
    recorded in the state topic; until this worker has applied those inputs again, a timer
    fired from the older state would breach a clock that was met."""

    async def scenario() -> tuple[float | None, dict[tuple[str, int], int]]:
        clock = FakeClock(T0)
        worker = _worker(clock)
        topic = SETTINGS.sla_results_topic
        worker.catching_up = {(topic, 0): 5}
        clock.advance(timedelta(minutes=5))  # the warning and the breach are both due
        await worker.fire_due()  # would publish (and fail: no Kafka) if it fired
        due = worker.engine.heap.due_at("acme:5001")
        worker._caught_up([Record(topic, 0, 3, None, None)])  # not there yet
        left = dict(worker.catching_up)
        worker._caught_up([Record(topic, 0, 4, None, None)])  # offset 4 is the last before 5
        assert worker.catching_up == {}
        return due, left

    due, left = asyncio.run(scenario())
    assert due == (T0 + timedelta(seconds=30)).timestamp()  # still waiting, not popped
    assert left == {(SETTINGS.sla_results_topic, 0): 5}
