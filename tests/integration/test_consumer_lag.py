"""Consumer lag on the real broker: a raw aiokafka consumer part-way through its partitions, a
faust worker stuck on a message while records keep coming, the triage worker's /metrics page,
and the API's indexer — each reports end minus position (and minus the committed offset) for
every partition it owns."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from elasticsearch import AsyncElasticsearch, Elasticsearch
from kafka import KafkaProducer
from prometheus_client import CollectorRegistry

from services.api.readmodel.indexer import Indexer, IndexerConfig
from services.api.readmodel.indices import KINDS, index_name
from services.api.readmodel.rebuild import topic_offsets, wait_caught_up
from services.localinfra.settings import InfraSettings
from services.plumbing.contracts.codecs import TWEETS_RAW, TWEETS_TRIAGED
from services.plumbing.lag import aiokafka_lag
from services.plumbing.metrics import exposition, new_registry
from tests.factories.readmodel import triaged_tweet
from tests.factories.tweets import tweet_event
from tests.integration.scrape import (
    COMMITTED_LAG,
    LAG,
    Samples,
    consumer_samples,
    lag_samples,
    page,
    wait_for_lag,
)
from tests.integration.workers import consume, free_port, worker

pytestmark = pytest.mark.kafka

Topics = Callable[..., list[str]]


def _fill(bootstrap: str, topic: str, counts: dict[int, int], value: bytes = b"x") -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for partition, count in counts.items():
        for _ in range(count):
            producer.send(topic, value=value, partition=partition)
    producer.flush()
    producer.close()


def test_an_aiokafka_consumer_reports_end_minus_position_per_partition(
    kafka_bootstrap: str, fresh_topics: Topics
) -> None:
    (topic,) = fresh_topics("lag", partitions=3)
    produced = {0: 30, 1: 20, 2: 10}
    _fill(kafka_bootstrap, topic, produced)
    group = f"test-lag-{uuid.uuid4().hex[:8]}"
    registry = new_registry()
    committed: dict[tuple[str, int], int] = {}

    async def main() -> tuple[Counter[int], Samples, Samples]:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=kafka_bootstrap, group_id=group,
            enable_auto_commit=False, auto_offset_reset="earliest",
        )  # fmt: skip
        await consumer.start()
        try:
            aiokafka_lag(consumer, group, registry, committed=lambda: committed)
            taken: Counter[int] = Counter()
            while taken.total() < 25:
                polled = await consumer.getmany(timeout_ms=1000, max_records=25 - taken.total())
                for tp, records in polled.items():
                    taken[tp.partition] += len(records)
            # A partition's end is known once the client has fetched it once.
            lag = await _wait_samples(registry, LAG, 3)
            await consumer.commit()
            for tp in consumer.assignment():
                committed[(tp.topic, tp.partition)] = await consumer.committed(tp)
            return taken, lag, await _wait_samples(registry, COMMITTED_LAG, 3)
        finally:
            await consumer.stop()

    taken, lag, committed_lag = asyncio.run(main())
    expected = {(group, topic, p): float(n - taken[p]) for p, n in produced.items()}
    assert taken.total() == 25
    assert sum(expected.values()) == 35
    assert lag == expected
    assert committed_lag == expected  # committed where it had read to: the same distance


async def _wait_samples(
    registry: CollectorRegistry, metric: str, count: int, timeout_s: float = 10
) -> Samples:
    """The samples of ``metric`` once there are ``count``, or those there when time ran out."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = lag_samples(exposition(registry).decode(), metric)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


def test_a_stuck_faust_agent_reports_what_it_has_not_taken_and_lag_grows(
    kafka_bootstrap: str, fresh_topics: Topics, tmp_path: Path
) -> None:
    (topic,) = fresh_topics("faust-lag", partitions=1)
    _fill(kafka_bootstrap, topic, {0: 10})
    app_id = f"test-lag-{uuid.uuid4().hex[:8]}"
    env = {
        "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TWEETCARE_KAFKA_PARTITIONS": "1",
        "TWEETCARE_LAG_APP_ID": app_id,
        "TWEETCARE_LAG_IN": topic,
        "TWEETCARE_LAG_TAKE": "4",
        "TWEETCARE_LAG_WEB_PORT": str(port := free_port()),
    }
    args = ["tests.integration.faust_lag_app", "worker", "-l", "warn"]
    metrics = page(f"http://127.0.0.1:{port}/metrics")
    key = (app_id, topic, 0)
    with worker(args, env, tmp_path / "worker.log") as proc:
        _wait_up(metrics, proc, 90)
        # Four messages done; the fifth (offset 4) taken and hung on: five behind the end,
        # six behind the committed offset 4.
        first = wait_for_lag(metrics, {key: 5.0})
        first_committed = wait_for_lag(metrics, {key: 6.0}, COMMITTED_LAG)
        _fill(kafka_bootstrap, topic, {0: 7})
        grown = wait_for_lag(metrics, {key: 12.0})
        grown_committed = wait_for_lag(metrics, {key: 13.0}, COMMITTED_LAG)
    log = (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
    assert first == {key: 5.0}, log
    assert first_committed == {key: 6.0}, log
    assert grown == {key: 12.0}, log
    assert grown_committed == {key: 13.0}, log


def _wait_up(read: Callable[[], str], proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            read()
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("the worker's /metrics page did not answer")


def test_the_triage_worker_reports_its_lag_on_its_metrics_page(
    kafka_bootstrap: str, fresh_topics: Topics, tmp_path: Path
) -> None:
    raw, triaged, dlq = fresh_topics("raw", "triaged", "raw-dlq")
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for p in range(4):
        for n in range(3):
            event = tweet_event(f"18620000000000{p}{n:04d}", "@acme my parcel never arrived")
            producer.send(raw, key=event.case_key.encode(), value=TWEETS_RAW.encode(event),
                          partition=p)  # fmt: skip
    producer.flush()
    producer.close()
    app_id = f"test-triage-lag-{raw.rsplit('.', 1)[-1]}"
    env = {
        "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TWEETCARE_TRIAGE_APP_ID": app_id,
        "TWEETCARE_TRIAGE_IN_TOPIC": raw,
        "TWEETCARE_TRIAGE_OUT_TOPIC": triaged,
        "TWEETCARE_TRIAGE_DLQ_TOPIC": dlq,
        "TWEETCARE_TRIAGE_METRICS_PORT": str(port := free_port()),
    }
    metrics = page(f"http://127.0.0.1:{port}/metrics")
    caught_up = {(app_id, raw, p): 0.0 for p in range(4)}
    with worker(["services.cli", "triage", "run"], env, tmp_path / "triage.log") as proc:
        out = consume(kafka_bootstrap, triaged, 12, timeout_s=90, proc=proc)
        lag = wait_for_lag(metrics, caught_up)
        committed = wait_for_lag(metrics, caught_up, COMMITTED_LAG)
        page_text = metrics()
    log = (tmp_path / "triage.log").read_text(errors="replace")[-3000:]
    assert len(out) == 12, log
    assert lag == caught_up, log
    assert committed == caught_up, log
    # Joined once (faust's on_rebalance_complete), took batches, committed what it took.
    seen = consumer_samples(page_text, app_id)
    assert seen["rebalances_total"] >= 1, seen
    assert seen["batch_seconds_count"] >= 1, seen
    assert seen["commit_seconds_count"] >= 1, seen


@pytest.mark.elasticsearch
def test_the_indexer_reports_its_lag_and_committed_lag(
    kafka_bootstrap: str, fresh_topics: Topics, es: Elasticsearch, infra: InfraSettings
) -> None:
    tweets, cases, tweets_dlq, cases_dlq = fresh_topics(
        "tweets", "cases", "tweets-dlq", "cases-dlq", partitions=2
    )
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for p in range(2):
        tweet = triaged_tweet(f"18630000000000000{p}", "@acme where is my parcel")
        producer.send(tweets, key=tweet.tweet.case_key.encode(),
                      value=TWEETS_TRIAGED.encode(tweet), partition=p)  # fmt: skip
    producer.flush()
    producer.close()
    prefix = f"lagtest-{uuid.uuid4().hex[:8]}"
    config = IndexerConfig(
        bootstrap=kafka_bootstrap, prefix=prefix, group_id=f"test-lag-{prefix}",
        tweets_topic=tweets, cases_topic=cases, tweets_dlq=tweets_dlq, cases_dlq=cases_dlq,
        poll_ms=50,
    )  # fmt: skip
    registry = new_registry()

    async def main() -> tuple[Samples, Samples]:
        async with AsyncElasticsearch(infra.es_url, request_timeout=30) as client:
            offsets = await topic_offsets(kafka_bootstrap, [tweets, cases])
            indexer = Indexer(client, config, registry=registry)
            stop = asyncio.Event()
            task = asyncio.create_task(indexer.run(stop))
            try:
                await wait_caught_up(indexer, offsets, task=task, timeout=60)
                lag = await _wait_samples(registry, LAG, 4)
                committed = await _wait_samples(registry, COMMITTED_LAG, 2)
            finally:
                stop.set()
                await task
            return lag, committed

    try:
        lag, committed = asyncio.run(main())
    finally:
        # Every index of the prefix (the read model's names are aliases of numbered indices).
        es.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        for kind in KINDS:
            es.options(ignore_status=404).indices.delete_index_template(
                name=index_name(prefix, kind)
            )
    group = config.group_id
    assert lag == {(group, t, p): 0.0 for t in (tweets, cases) for p in range(2)}
    # Only partitions it committed in have a committed offset: the empty cases topic has none.
    assert committed == {(group, tweets, p): 0.0 for p in range(2)}
    seen = consumer_samples(exposition(registry).decode(), group)
    assert seen["rebalances_total"] >= 1, seen
    assert seen["batch_seconds_count"] >= 1, seen
    assert seen["commit_seconds_count"] >= 1, seen
