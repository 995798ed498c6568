"""Rebuilding the read model from the topics, and waiting for an indexer to catch up.

Kafka is the system of record: :func:`reindex` deletes the indices and replays both topics from
their beginning with a fresh consumer group (`tweetcare api reindex`). :func:`wait_caught_up`
tells when an indexer has committed everything up to given offsets (also used by tests and the
benchmarks).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from elasticsearch import AsyncElasticsearch, TransportError
from elasticsearch.serializer import OrjsonSerializer

from services.api.readmodel.indexer import Indexer, IndexerConfig, IndexerStats, Partition
from services.api.readmodel.indices import KINDS, ensure_indices, index_name
from services.api.settings import ApiSettings
from services.plumbing.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger("tweetcare.api.rebuild")

Progress = Callable[[int, int], None]
"""Called with (records done, records to do)."""


async def topic_offsets(bootstrap: str, topics: list[str]) -> dict[Partition, tuple[int, int]]:
    """The first and next offsets of every partition of ``topics`` now; raises LookupError for
    a topic the broker does not have."""
    # Without a group, a subscribing consumer loads the topics' metadata when it starts.
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = []
        for topic in topics:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                raise LookupError(f"topic {topic} does not exist")
            tps += [TopicPartition(topic, p) for p in sorted(partitions)]
        begins = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): (begins[tp], ends[tp]) for tp in tps}


def remaining(
    committed: Mapping[Partition, int], offsets: Mapping[Partition, tuple[int, int]]
) -> int:
    """Records of ``offsets`` not yet committed."""
    return sum(
        end - min(end, max(begin, committed.get(tp, begin))) for tp, (begin, end) in offsets.items()
    )


async def wait_caught_up(
    indexer: Indexer,
    offsets: Mapping[Partition, tuple[int, int]],
    *,
    task: asyncio.Task[None] | None = None,
    progress: Progress | None = None,
    timeout: float | None = None,
    poll_s: float = 0.05,
) -> None:
    """Wait until ``indexer`` committed every record below ``offsets``; raises TimeoutError, or
    the indexer's own error when its ``task`` ends first."""
    total = sum(end - begin for begin, end in offsets.values())

    async def caught_up() -> None:
        while True:
            left = remaining(indexer.committed(), offsets)
            if progress is not None:
                progress(total - left, total)
            if left == 0:
                return
            if task is not None and task.done():
                task.result()
                raise RuntimeError("the indexer stopped before catching up")
            await asyncio.sleep(poll_s)

    await asyncio.wait_for(caught_up(), timeout)


async def reindex(
    es: AsyncElasticsearch,
    config: IndexerConfig,
    *,
    progress: Progress | None = None,
    timeout: float | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> IndexerStats:
    """Rebuild the read model: delete its indices (templates stay), then replay both topics from
    the beginning with a fresh consumer group up to where they ended when the replay began.

    Records written meanwhile are indexed by the live indexer (its own group) into the new
    indices. Bad records are counted, not dead-lettered again. Raises TimeoutError after
    ``timeout`` seconds (the indices are then partly rebuilt: run it again).
    """
    names = ",".join(index_name(config.prefix, kind) for kind in KINDS)
    await es.indices.delete(index=names, ignore_unavailable=True)
    await ensure_indices(es, config.prefix)
    offsets = await topic_offsets(config.bootstrap, [config.tweets_topic, config.cases_topic])
    rebuild = replace(
        config, group_id=f"{config.group_id}.rebuild.{uuid.uuid4().hex[:12]}", dead_letters=False
    )
    indexer = Indexer(es, rebuild, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(indexer.run(stop))
    try:
        await wait_caught_up(indexer, offsets, task=task, progress=progress, timeout=timeout)
    finally:
        stop.set()
        await asyncio.gather(task, return_exceptions=True)
    task.result()
    await es.indices.refresh(index=names)
    log.info("read model rebuilt", extra={"records": indexer.stats.records})
    return indexer.stats


def reindex_command(settings: ApiSettings) -> int:
    """`tweetcare api reindex`: rebuild the read model, printing progress on stderr."""
    shown = -1

    def progress(done: int, total: int) -> None:
        nonlocal shown
        percent = 100 * done // total if total else 100
        if percent != shown:
            shown = percent
            print(f"reindex: {done:,} of {total:,} records ({percent}%)", file=sys.stderr)

    async def main() -> IndexerStats:
        es = AsyncElasticsearch(settings.es_url, request_timeout=60, serializer=OrjsonSerializer())
        try:
            return await reindex(es, IndexerConfig.of(settings), progress=progress)
        finally:
            await es.close()

    try:
        stats = asyncio.run(main())
    except TransportError as exc:
        print(
            f"reindex: Elasticsearch is not reachable at {settings.es_url}: {exc}", file=sys.stderr
        )
        return 1
    print(
        f"reindex: done: {stats.records:,} records, {stats.indexed:,} documents, "
        f"{stats.dlq:,} bad records skipped",
        file=sys.stderr,
    )
    return 0
