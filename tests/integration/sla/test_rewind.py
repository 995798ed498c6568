"""A batch the SLA worker drops after a rebalance is fetched again (real Kafka).

The worker drops a batch polled across a rebalance. Its records may have been fetched after the
rebalance, from the reset position: the consumer is then already past them, and the next batch's
commit would skip them for good (a 2-worker throughput run wrote one case event fewer than the
1- and 3-worker runs). :func:`services.sla.service.rewind` seeks each partition still assigned
back to the dropped batch's first offset there."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer

from services.sla.service import rewind

pytestmark = pytest.mark.kafka


def test_the_dropped_records_of_the_partitions_kept_are_fetched_again(
    kafka_bootstrap: str, fresh_topics: Any
) -> None:
    (topic,) = fresh_topics("rewind", partitions=2)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for n in range(20):
        producer.send(topic, key=f"k{n}".encode(), value=f"v{n}".encode(), partition=n % 2)
    producer.flush()
    producer.close()

    async def scenario() -> tuple[set[tuple[int, int]], set[tuple[int, int]], set[tuple[int, int]]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            both = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
            consumer.assign(both)
            await consumer.seek_to_beginning(*both)
            polled: list[Any] = []
            while len(polled) < 12:
                batches = await consumer.getmany(timeout_ms=2000, max_records=6)
                polled += [m for records in batches.values() for m in records]
            dropped = {(m.partition, m.offset) for m in polled}
            consumer.assign([TopicPartition(topic, 0)])  # partition 1 went to another worker
            await consumer.seek_to_beginning(TopicPartition(topic, 0))
            async for _ in _drain(consumer, 10):  # partition 0 read to its end: past the batch
                pass
            rewind(consumer, polled)
            again: list[Any] = []
            while len(again) < 10:  # everything of partition 0 from the batch's first offset
                batches = await consumer.getmany(timeout_ms=2000)
                if not batches:
                    break
                again += [m for records in batches.values() for m in records]
            return dropped, {(m.partition, m.offset) for m in again}, {(0, o) for o in range(10)}
        finally:
            await consumer.stop()

    dropped, again, partition_0 = asyncio.run(scenario())
    first_0 = min(o for p, o in dropped if p == 0)
    assert {(p, o) for p, o in dropped if p == 0} <= again  # every dropped record of p0 again
    assert again == {(0, o) for o in range(first_0, 10)}  # from the batch's first offset on
    assert again <= partition_0  # nothing of the partition given away


async def _drain(consumer: AIOKafkaConsumer, count: int) -> Any:
    seen = 0
    while seen < count:
        batches = await consumer.getmany(timeout_ms=2000)
        if not batches:
            return
        for records in batches.values():
            for m in records:
                seen += 1
                yield m
