"""Rebuilding the read model from the topics, and waiting for an indexer to catch up.

Kafka is the system of record: :func:`reindex` replays both topics from their beginning with a
fresh consumer group into the next generation of the indices, beside the live ones, and then
switches the aliases the services read and write through, all at once (`tweetcare api
reindex`). :func:`wait_caught_up` tells when an indexer has committed everything up to given
offsets (also used by tests and the benchmarks).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from elasticsearch import AsyncElasticsearch, BadRequestError, TransportError
from elasticsearch.serializer import OrjsonSerializer

from services.api.readmodel.indexer import Indexer, IndexerConfig, IndexerStats, Partition
from services.api.readmodel.indices import (
    KINDS,
    MAPPINGS,
    ensure_indices,
    generation_index,
    index_name,
    next_generation,
    settings_of,
    staging_prefix,
)
from services.api.settings import ApiSettings
from services.plumbing.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger("tweetcare.api.rebuild")

Progress = Callable[[int, int], None]
"""Called with (records done, records to do)."""
Say = Callable[[str], None]


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


@dataclass(frozen=True)
class Switch:
    """One kind's switch: the alias, the index it points at now (``None``: none; an install from
    before the aliases: the alias name itself), and the new generation's index."""

    alias: str
    old: list[str]
    new: str
    legacy: bool  # ``old`` is a concrete index under the alias name

    def actions(self) -> list[dict[str, Any]]:
        """The ``_aliases`` actions that point the alias at ``new`` in place of ``old``."""
        if self.legacy:  # the name must be free before it can be an alias: in the same request
            gone: list[dict[str, Any]] = [{"remove_index": {"index": self.alias}}]
        else:
            gone = [{"remove": {"index": i, "alias": self.alias}} for i in self.old]
        return [*gone, {"add": {"index": self.new, "alias": self.alias, "is_write_index": True}}]


def plan_switches(
    prefix: str, found: Mapping[str, Mapping[str, Any]]
) -> tuple[list[Switch], list[dict[str, Any]]]:
    """From ``GET <prefix>-<kind>*`` for each kind of the read model (index name -> its body with
    ``aliases``): each kind's switch to the next generation, and the ``_aliases`` actions that add
    the rebuild's staging aliases to the new indices. Pure."""
    switches = []
    staging = []
    for kind in KINDS:
        alias = index_name(prefix, kind)
        names = [n for n in found if n == alias or n.startswith(alias + "-")]
        legacy = alias in found
        old = [alias] if legacy else [n for n in names if alias in found[n].get("aliases", {})]
        new = generation_index(prefix, kind, next_generation(names, prefix, kind))
        switches.append(Switch(alias, old, new, legacy))
        staging.append({"add": {"index": new, "alias": index_name(staging_prefix(prefix), kind)}})
    return switches, staging


async def reindex(
    es: AsyncElasticsearch,
    config: IndexerConfig,
    *,
    progress: Progress | None = None,
    say: Say | None = None,
    keep_old: bool = False,
    grace_s: float = 30.0,
    timeout: float | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> IndexerStats:
    """Rebuild the read model into the next generation of its indices and switch to it: the live
    indices answer every read until the aliases switch, all kinds in one atomic request.

    Both topics are replayed from the beginning with a fresh consumer group into new indices
    (through the staging aliases, :func:`staging_prefix`) up to where they ended when the replay
    began, then again up to where they end then, so little is left; the aliases switch; the
    replay goes on up to where the topics end after the switch (what the live indexer wrote into
    the old indices meanwhile), and ``grace_s`` after the switch (searches and exports that
    began on them end first) the old indices are deleted (``keep_old``: kept). An install's
    index from before the aliases is replaced in the switch itself, its name becoming the alias:
    a search in flight on it at that instant fails once (503), a one-time cost. Bad records
    are counted, not dead-lettered again. On an error or after ``timeout`` seconds before the
    switch, the new indices are deleted and the live ones are untouched: run it again. Raises
    ``RuntimeError`` when another rebuild is making the same generation.
    """
    prefix = config.prefix
    await ensure_indices(es, prefix)  # the templates, and a fresh install's first generation
    patterns = ",".join(f"{index_name(prefix, kind)}*" for kind in KINDS)
    found = await es.indices.get(index=patterns, expand_wildcards="open,closed")
    switches, staging = plan_switches(prefix, dict(found))
    created: list[str] = []
    for kind, switch in zip(KINDS, switches, strict=True):
        try:
            await es.indices.create(
                index=switch.new, mappings=MAPPINGS[kind], settings=settings_of(kind)
            )
        except BadRequestError as exc:
            await _drop(es, created)
            raise RuntimeError(
                f"cannot create {switch.new} ({exc.message}): is another `tweetcare api "
                "reindex` running? Wait for it; if one died, delete that index and run this again"
            ) from exc
        created.append(switch.new)
    await es.indices.update_aliases(actions=staging)
    news = [s.new for s in switches]
    if say is not None:
        say(f"rebuilding into {', '.join(news)}")
    topics = [config.tweets_topic, config.cases_topic]
    rebuild = replace(
        config,
        prefix=staging_prefix(prefix),
        group_id=f"{config.group_id}.rebuild.{uuid.uuid4().hex[:12]}",
        dead_letters=False,
    )
    indexer = Indexer(es, rebuild, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(indexer.run(stop))
    switched, switched_at = False, 0.0
    try:
        offsets = await topic_offsets(config.bootstrap, topics)
        await wait_caught_up(indexer, offsets, task=task, progress=progress, timeout=timeout)
        # What arrived during the replay, so the switch leaves only seconds' worth behind.
        ends = await topic_offsets(config.bootstrap, topics)
        await wait_caught_up(indexer, ends, task=task, timeout=timeout)
        await es.indices.refresh(index=",".join(news))
        await es.indices.update_aliases(actions=[a for s in switches for a in s.actions()])
        switched = True
        switched_at = clock.monotonic()
        if say is not None:
            say(f"switched {', '.join(s.alias for s in switches)} to the new indices")
        # What the live indexer wrote into the old indices up to the switch.
        ends = await topic_offsets(config.bootstrap, topics)
        await wait_caught_up(indexer, ends, task=task, timeout=timeout)
    finally:
        stop.set()
        await asyncio.gather(task, return_exceptions=True)
        await es.options(ignore_status=404).indices.delete_alias(
            index=",".join(news), name=",".join(index_name(rebuild.prefix, k) for k in KINDS)
        )
        if not switched:
            await _drop(es, news)
    task.result()
    await es.indices.refresh(index=",".join(news))
    old = [i for s in switches if not s.legacy for i in s.old]
    if old and not keep_old:
        if say is not None:
            say(f"deleting the old indices in {grace_s:g} s (reads that began on them end first)")
        await asyncio.sleep(max(0.0, grace_s - (clock.monotonic() - switched_at)))
        await _drop(es, old)
    if say is not None and old:
        say(f"{'kept' if keep_old else 'deleted'} the old indices {', '.join(old)}")
    log.info("read model rebuilt", extra={"records": indexer.stats.records, "indices": news})
    return indexer.stats


async def _drop(es: AsyncElasticsearch, names: list[str]) -> None:
    if names:
        await es.indices.delete(index=",".join(names), ignore_unavailable=True)


def reindex_command(settings: ApiSettings, *, keep_old: bool = False) -> int:
    """`tweetcare api reindex`: rebuild the read model, printing progress on stderr."""
    shown = -1

    def progress(done: int, total: int) -> None:
        nonlocal shown
        percent = 100 * done // total if total else 100
        if percent != shown:
            shown = percent
            print(f"reindex: {done:,} of {total:,} records ({percent}%)", file=sys.stderr)

    def say(message: str) -> None:
        print(f"reindex: {message}", file=sys.stderr)

    async def main() -> IndexerStats:
        es = AsyncElasticsearch(settings.es_url, request_timeout=60, serializer=OrjsonSerializer())
        try:
            return await reindex(
                es, IndexerConfig.of(settings), progress=progress, say=say, keep_old=keep_old
            )
        finally:
            await es.close()

    try:
        stats = asyncio.run(main())
    except TransportError as exc:
        print(
            f"reindex: Elasticsearch is not reachable at {settings.es_url}: {exc}", file=sys.stderr
        )
        return 1
    except RuntimeError as exc:
        print(f"reindex: {exc}", file=sys.stderr)
        return 1
    print(
        f"reindex: done: {stats.records:,} records, {stats.indexed:,} documents, "
        f"{stats.dlq:,} bad records skipped",
        file=sys.stderr,
    )
    return 0
