"""`tweetcare api reindex` on the real Kafka and Elasticsearch (throwaway topics and indices):
it builds the next generation beside the live indices and switches the aliases at once, so reads
that go on all through it never fail and never see fewer documents; an install from before the
aliases (a concrete index under the alias name) is replaced by the first reindex, and the next
one deletes the generation it replaces."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch, Elasticsearch

from services.api.readmodel.indexer import Indexer, IndexerConfig
from services.api.readmodel.indices import (
    CASE_EVENTS,
    CASES,
    KINDS,
    MAPPINGS,
    TWEETS,
    index_name,
    settings_of,
)
from services.api.readmodel.rebuild import reindex, topic_offsets, wait_caught_up
from services.localinfra.settings import InfraSettings
from services.plumbing.contracts.codecs import CASES_EVENTS, TWEETS_TRIAGED
from services.plumbing.publisher import EventPublisher, make_producer
from services.plumbing.settings import KafkaSettings
from tests.factories.readmodel import case, case_event, triaged_tweet

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

N = 300  # tweets, and as many cases (each with one event)


async def _produce(config: IndexerConfig) -> None:
    producer = make_producer(KafkaSettings(kafka_bootstrap=config.bootstrap), client_id="test")
    await producer.start()
    try:
        tweets = [triaged_tweet(f"t{i}", f"parcel {i} is late") for i in range(N)]
        await EventPublisher(
            producer, TWEETS_TRIAGED, lambda e: e.tweet.case_key, topic=config.tweets_topic
        ).publish_many(tweets)
        events = [case_event(case(f"C{i}"), 1) for i in range(N)]
        await EventPublisher(
            producer, CASES_EVENTS, lambda e: e.case.case_key, topic=config.cases_topic
        ).publish_many(events)
    finally:
        await producer.stop()


async def _index(es: AsyncElasticsearch, config: IndexerConfig) -> None:
    offsets = await topic_offsets(config.bootstrap, [config.tweets_topic, config.cases_topic])
    indexer = Indexer(es, config)
    stop = asyncio.Event()
    task = asyncio.create_task(indexer.run(stop))
    try:
        await wait_caught_up(indexer, offsets, task=task, timeout=60)
    finally:
        stop.set()
        await task
    await es.indices.refresh(index=",".join(index_name(config.prefix, k) for k in KINDS))


async def _reindex_under_reads(
    es: AsyncElasticsearch, config: IndexerConfig, **options: Any
) -> tuple[dict[str, list[int]], list[str]]:
    """Reindex while counting each kind through its alias, over and over; (counts, errors)."""
    counts: dict[str, list[int]] = {k: [] for k in KINDS}
    errors: list[str] = []
    done = asyncio.Event()

    async def read() -> None:
        while not done.is_set():
            for kind in KINDS:
                try:
                    got = await es.count(index=index_name(config.prefix, kind))
                    counts[kind].append(int(got["count"]))
                except Exception as exc:  # every failure is the finding
                    errors.append(f"{kind}: {exc!r}")
            await asyncio.sleep(0.005)

    reader = asyncio.create_task(read())
    try:
        await reindex(es, config, timeout=120, **options)
    finally:
        await asyncio.sleep(0.05)  # a few reads after the switch
        done.set()
        await reader
    return counts, errors


def test_reindex_switches_aliases_while_reads_go_on(
    kafka_bootstrap: str, es: Elasticsearch, infra: InfraSettings, fresh_topics: Any
) -> None:
    tweets, cases, tweets_dlq, cases_dlq = fresh_topics("tweets", "cases", "tdlq", "cdlq")
    prefix = f"test-reindex-{uuid.uuid4().hex[:8]}"
    config = IndexerConfig(
        bootstrap=kafka_bootstrap, prefix=prefix, group_id=f"test-reindex-{prefix}",
        tweets_topic=tweets, cases_topic=cases, tweets_dlq=tweets_dlq, cases_dlq=cases_dlq,
        poll_ms=50, backoff_s=0.05, backoff_max_s=0.3,
    )  # fmt: skip
    # An install from before the aliases: a concrete index under each alias name.
    for kind in KINDS:
        es.indices.create(
            index=index_name(prefix, kind), mappings=MAPPINGS[kind], settings=settings_of(kind)
        )

    async def main() -> list[tuple[dict[str, list[int]], list[str]]]:
        async with AsyncElasticsearch(infra.es_url, request_timeout=30) as client:
            await _produce(config)
            await _index(client, config)
            first = await _reindex_under_reads(client, config, grace_s=1.0)
            second = await _reindex_under_reads(client, config, grace_s=1.0)
            return [first, second]

    try:
        runs = asyncio.run(main())
        wanted = {TWEETS: N, CASES: N, CASE_EVENTS: N}
        for run, (counts, errors) in enumerate(runs):
            assert errors == [], run
            for kind, seen in counts.items():
                assert len(seen) > 10, kind  # reads went on through the rebuild
                assert min(seen) == wanted[kind], (kind, sorted(set(seen)))
        aliases = es.indices.get_alias(index=f"{prefix}-*")
        wanted_names = [index_name(prefix, k) for k in KINDS]
        read_model = {i: a for i, a in aliases.items() if i.startswith(tuple(wanted_names))}
        assert {i: set(a["aliases"]) for i, a in read_model.items()} == {
            f"{index_name(prefix, k)}-000002": {index_name(prefix, k)} for k in KINDS
        }  # the legacy indices and generation 1 are gone; no staging alias is left
    finally:
        found = es.indices.get(index=f"{prefix}-*", expand_wildcards="all")
        if found:
            es.indices.delete(index=",".join(found))
        for kind in KINDS:
            es.options(ignore_status=404).indices.delete_index_template(
                name=index_name(prefix, kind)
            )
