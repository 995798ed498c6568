"""Polling an aiokafka consumer in batches that are worth their fixed cost."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer

Polled = dict[Any, list[Any]]
"""Records by topic partition, in offset order, as ``getmany`` returns them."""


async def gather(
    consumer: AIOKafkaConsumer, *, size: int, window_s: float, wait_s: float, stop: asyncio.Event
) -> Polled:
    """Up to ``size`` records: whatever arrives within ``window_s`` of the first one (waiting at
    most ``wait_s`` for that first one).

    Under a backlog this is one full poll. At a moderate rate a plain poll returns a handful of
    records, and each batch then pays its own produce, bulk and commit round trips: below about
    a thousand records a second that fixed cost was most of a consumer's CPU."""
    polled: Polled = dict(await consumer.getmany(timeout_ms=int(wait_s * 1000), max_records=size))
    count = sum(len(records) for records in polled.values())
    if not count:
        return polled
    deadline = time.monotonic() + window_s
    while count < size and not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        more = await consumer.getmany(timeout_ms=int(left * 1000) + 1, max_records=size - count)
        for tp, records in more.items():
            polled.setdefault(tp, []).extend(records)
            count += len(records)
    return polled
