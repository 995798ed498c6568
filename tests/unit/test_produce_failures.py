"""A record batch the broker did not acknowledge is counted once; a delivered one is not."""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaTimeoutError

from services.plumbing.metrics import DlqMetrics, new_registry
from services.plumbing.publisher import counting_failures


def test_failed_deliveries_are_counted_and_still_raise_for_the_caller() -> None:
    async def run() -> tuple[float, float, BaseException | None]:
        metrics = DlqMetrics(new_registry())
        loop = asyncio.get_running_loop()
        ok, bad = loop.create_future(), loop.create_future()
        futures = counting_failures([ok, bad], metrics.produce_failures.labels("t").inc)
        ok.set_result(None)
        bad.set_exception(KafkaTimeoutError())
        results = await asyncio.gather(*futures, return_exceptions=True)
        await asyncio.sleep(0)
        counted = metrics.produce_failures.labels("t")._value.get()
        other = metrics.produce_failures.labels("u")._value.get()
        error = results[1] if isinstance(results[1], BaseException) else None
        return counted, other, error

    counted, other, error = asyncio.run(run())
    assert counted == 1
    assert other == 0
    assert isinstance(error, KafkaTimeoutError)
