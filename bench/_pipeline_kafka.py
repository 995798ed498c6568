"""Kafka for the pipeline benchmark: consumer lag per stage, reading a run's topics back, and the
raw produce→consume limit of the same events through the same broker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaAdminClient
from kafka import TopicPartition as SyncPartition
from kafka.admin import OffsetSpec

from bench._pipeline_report import Sample
from bench._topics import throwaway_topic
from services.plumbing.publisher import CachingPartitioner, make_producer, send_records
from services.plumbing.settings import KafkaSettings


@dataclass(frozen=True)
class Stage:
    """A consuming stage: its consumer group and the topics it reads."""

    name: str
    group: str
    topics: tuple[str, ...]  # the first carries the tweets (the indexer also reads cases.events)


class LagSampler:
    """Committed offsets of each stage's group against its topics' end offsets (kafka-python's
    admin client; blocking, so the benchmark calls it from a thread)."""

    def __init__(self, bootstrap: str, stages: Sequence[Stage], partitions: int) -> None:
        self._admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        self.stages = list(stages)
        topics = sorted({t for s in stages for t in s.topics})
        self._partitions = [SyncPartition(t, p) for t in topics for p in range(partitions)]

    def sample(self, t: float) -> dict[str, Sample]:
        ends_raw: Mapping[Any, Any] = self._admin.list_partition_offsets(
            dict.fromkeys(self._partitions, OffsetSpec.LATEST)
        )
        ends = {(tp.topic, tp.partition): int(o.offset) for tp, o in ends_raw.items()}
        committed_raw: Mapping[str, Mapping[Any, Any]] = self._admin.list_group_offsets(
            {s.group: None for s in self.stages}
        )
        found: dict[str, Sample] = {}
        for stage in self.stages:
            done = {
                (tp.topic, tp.partition): max(int(o.offset), 0)
                for tp, o in committed_raw.get(stage.group, {}).items()
            }
            mine = [k for k in ends if k[0] in stage.topics]
            found[stage.name] = Sample(
                t=t, ends=sum(ends[k] for k in mine), committed=sum(done.get(k, 0) for k in mine),
                lag=sum(max(0, ends[k] - done.get(k, 0)) for k in mine),
                tweets_done=sum(done.get(k, 0) for k in mine if k[0] == stage.topics[0]),
            )  # fmt: skip
        return found

    def close(self) -> None:
        self._admin.close()


async def read_topic(
    bootstrap: str, topic: str, partitions: int, limit: int | None = None
) -> AsyncIterator[Any]:
    """The records of ``topic`` (of ``partitions`` partitions) from its start to its end as it
    is now (at most ``limit``)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
        auto_offset_reset="earliest",  # as well as the seek: see services.sla.state_topic
        max_partition_fetch_bytes=8 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024,
    )  # fmt: skip
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        todo = {tp for tp in parts if ends[tp] > 0}
        given = 0
        while todo:
            polled = await consumer.getmany(*todo, timeout_ms=1000, max_records=5000)
            for tp, records in polled.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
                        given += 1
                        if limit is not None and given >= limit:
                            return
                if records and records[-1].offset + 1 >= ends[tp]:
                    todo.discard(tp)
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class KafkaLimit:
    rate: float
    records: int
    mean_bytes: float


async def kafka_limit(
    settings: KafkaSettings, records: Sequence[tuple[bytes | None, bytes]], at_least: int
) -> KafkaLimit:
    """Produce ``records`` (repeated up to ``at_least``) to a throwaway topic with the product's
    producer and record batches, consuming them at the same time; events/s from the first send
    to the last one consumed."""
    if not records:
        raise ValueError("no records to measure the Kafka limit with")
    repeats = max(1, -(-at_least // len(records)))
    total = len(records) * repeats
    with throwaway_topic(settings, "pipeline-limit") as topic:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=settings.kafka_bootstrap, group_id=None,
            auto_offset_reset="earliest", enable_auto_commit=False,
            max_partition_fetch_bytes=8 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024,
        )  # fmt: skip
        producer = make_producer(settings, client_id="tweetcare-bench-limit")
        await consumer.start()
        await producer.start()
        try:
            while not consumer.assignment():
                await asyncio.sleep(0.05)
            await consumer.seek_to_beginning()

            async def consume() -> float:
                seen = 0
                while seen < total:
                    polled = await consumer.getmany(timeout_ms=1000, max_records=10_000)
                    seen += sum(len(batch) for batch in polled.values())
                return time.perf_counter()

            partitioner = CachingPartitioner()
            reading = asyncio.create_task(consume())
            began = time.perf_counter()
            pending: list[asyncio.Future[Any]] = []
            for _ in range(repeats):
                for start in range(0, len(records), 2000):
                    pending += await send_records(
                        producer, topic, records[start : start + 2000], partitioner
                    )
            await asyncio.gather(*pending)
            ended = await asyncio.wait_for(reading, 300)
        finally:
            await producer.stop()
            await consumer.stop()
    mean = sum(len(v) for _, v in records) / len(records)
    return KafkaLimit(total / max(ended - began, 1e-9), total, mean)
