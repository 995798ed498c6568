"""EventPublisher writes through the real broker; keys land where every other client puts them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from kafka.partitioner.default import murmur2

from bench.kafka_publish import build
from services.plumbing.contracts.codecs import TWEETS_RAW
from services.plumbing.publisher import EventPublisher, make_producer
from services.plumbing.settings import KafkaSettings
from tests.integration.topics import read_all

pytestmark = pytest.mark.kafka


async def _publish(bootstrap: str, topic: str, events: list[object]) -> int:
    settings = KafkaSettings(kafka_bootstrap=bootstrap)
    producer = make_producer(settings, client_id="test-publisher")
    await producer.start()
    try:
        publisher = EventPublisher(producer, TWEETS_RAW, lambda e: e.case_key, topic=topic)
        return await publisher.publish_many(events)  # type: ignore[arg-type]
    finally:
        await producer.stop()


def test_publish_many_writes_every_event_once_on_the_case_key_partition(
    kafka_bootstrap: str, fresh_topics: object
) -> None:
    (topic,) = fresh_topics("publish")  # type: ignore[operator]
    events = build(600, datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    assert asyncio.run(_publish(kafka_bootstrap, topic, events)) == 600

    records = read_all(kafka_bootstrap, topic)

    assert sorted(TWEETS_RAW.decode(r.value).tweet_id for r in records) == sorted(
        e.tweet_id for e in events
    )
    partitions = sorted({r.partition for r in records})
    assert partitions == [0, 1, 2, 3]
    for record in records:
        # The Java client's rule (kafka-python's too): murmur2 of the key, positive, modulo.
        assert (murmur2(record.key) & 0x7FFFFFFF) % len(partitions) == record.partition
