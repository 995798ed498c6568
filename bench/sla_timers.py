"""SLA timers at a million open cases (issue 4): memory, and how close to due a timer fires.

Memory (tracemalloc, case keys made beforehand: the case table owns them): the service's
``DueHeap`` with 1,000,000 keys scheduled; the same after every case was rescheduled once (lazy
deletion leaves stale entries until it compacts); and each case's state as the service's table
keeps it (key and ``storage.dump_book`` bytes of a freshly opened case).
Precision: with 1,000,000 keys scheduled, --due of them fall due over --seconds of wall-clock
time; a loop like the service's timer (look every --interval seconds, pop what is due,
reschedule it an hour on) records pop time minus due time. It does not include the tick's trip
through the ticks topic nor ``on_tick`` itself, whose cost per case is printed on its own.
Run: python -m bench.sla_timers [--cases N] [--due N] [--seconds S] [--interval 0.02]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench._tweets import opening_tweet
from services.plumbing.contracts.tweets import Author
from services.sla.book import Held
from services.sla.due_heap import DueHeap
from services.sla.policies import Policy, load_policy
from services.sla.storage import dump_book
from services.sla.ticks import on_tick
from services.sla.tweets import on_tweet

MB = 1024 * 1024


def _keys(n: int) -> list[str]:
    return [f"acme:{1_402_938_475_610_234_880 + i}" for i in range(n)]


def _measure(build: Callable[[], object]) -> tuple[float, object]:
    """Bytes still allocated by what ``build`` returns (it is kept alive until measured)."""
    gc.collect()
    tracemalloc.start()
    kept = build()
    gc.collect()
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, kept


def opened_case(policy: Policy, at: datetime) -> tuple[Held, ...]:
    """A customer's book right after their first tweet opened a case (our own words)."""
    customer = Author(id="1402938475610234880", handle="kumiko_t", followers=342)
    triaged = opening_tweet("1861234567890123456", customer, at)
    return on_tweet((), triaged, policy).book


def memory(n: int, policy: Policy) -> None:
    keys = _keys(n)
    due0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    dues = [due0 + timedelta(seconds=i % 86_400) for i in range(n)]

    def scheduled() -> DueHeap:
        heap = DueHeap()
        for key, due in zip(keys, dues, strict=True):
            heap.schedule(key, due)
        return heap

    size, heap = _measure(scheduled)
    print(f"  DueHeap, {n:,} keys scheduled   : {size / MB:8.1f} MB ({size / n:5.0f} B/case)")
    assert isinstance(heap, DueHeap)

    def rescheduled() -> DueHeap:
        again = scheduled()
        for key, due in zip(keys, dues, strict=True):
            again.schedule(key, due + timedelta(hours=1))
        return again

    del heap
    size, heap = _measure(rescheduled)
    print(f"  same, every key rescheduled once : {size / MB:8.1f} MB ({size / n:5.0f} B/case)")
    del heap
    stored = dump_book(opened_case(policy, due0))

    def table() -> dict[bytes, bytes]:
        # One distinct value per case, as a table holds them (the customer id differs per key).
        return {
            key.encode(): stored.replace(b"1402938475610234880", key[5:].encode()) for key in keys
        }

    size, cases = _measure(table)
    print(
        f"  case table, key + {len(stored):,} B book : {size / MB:8.1f} MB ({size / n:5.0f} B/case)"
    )
    del cases


def precision(n: int, due_n: int, seconds: float, interval: float) -> None:
    keys = _keys(n)
    heap = DueHeap()
    later = datetime.now(UTC) + timedelta(hours=6)
    started = time.perf_counter()
    heap.rebuild((key, later + timedelta(seconds=i % 3600)) for i, key in enumerate(keys[due_n:]))
    print(
        f"  rebuild {n - due_n:,} keys (partition assignment): {time.perf_counter() - started:.2f}s"
    )
    rng = random.Random(4)  # noqa: S311 - spreads due times, reproducibly; not secrets
    begin = time.time() + 0.5
    due_of = {key: begin + rng.uniform(0, seconds) for key in keys[:due_n]}
    started = time.perf_counter()
    for key, due in due_of.items():
        heap.schedule(key, datetime.fromtimestamp(due, UTC))
    per_schedule = (time.perf_counter() - started) / due_n * 1e6
    print(f"  schedule: {per_schedule:.1f} µs/key with {len(heap):,} keys in the heap")
    lags: list[float] = []
    pop_costs: list[float] = []
    while len(lags) < due_n:
        now = time.time()
        popped = heap.pop_due(datetime.fromtimestamp(now, UTC))
        fired = time.time()
        pop_costs.append(fired - now)
        for key in popped:
            lags.append(fired - due_of[key])
            heap.schedule(key, datetime.fromtimestamp(fired + 3600, UTC))
        time.sleep(interval)
    lags.sort()
    p50 = statistics.median(lags) * 1000
    p99 = lags[int(len(lags) * 0.99) - 1] * 1000
    print(
        f"  fire - due over {due_n:,} timers ({due_n / seconds:,.0f}/s), {len(heap):,} scheduled, "
        f"looking every {interval * 1000:g} ms: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {lags[-1] * 1000:.1f} ms; longest pop {max(pop_costs) * 1000:.1f} ms"
    )


def tick_cost(policy: Policy, runs: int = 2_000) -> None:
    at = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    book = opened_case(policy, at)
    due = at + timedelta(seconds=1800)  # the first warning of a 60-minute target
    started = time.perf_counter()
    for _ in range(runs):
        on_tick(book, policy, due)
    per_tick = (time.perf_counter() - started) / runs * 1e6
    print(f"  on_tick, one case firing a warning: {per_tick:.0f} µs ({1e6 / per_tick:,.0f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=50_000, help="timers falling due while timed")
    parser.add_argument("--seconds", type=float, default=10.0, help="over how long they fall due")
    parser.add_argument("--interval", type=float, default=0.02, help="the timer loop's period")
    args = parser.parse_args()
    policy = load_policy("")  # first response 60m, next response 60m, resolution 24h
    print(f"sla_timers: {args.cases:,} open cases")
    memory(args.cases, policy)
    precision(args.cases, args.due, args.seconds, args.interval)
    tick_cost(policy)


if __name__ == "__main__":
    main()
