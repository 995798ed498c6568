"""The live X sources and the outbox when Kafka refuses a send, on the real broker and the fake X.

The outbox runs as ``ingest run`` composes it: ``run_outbox`` under ``keep_running``, which
restarts it on the same consumer after a failure.

Kafka is made to refuse for real: the topic's ``max.message.bytes`` is set below the size of one
event, so the broker answers ``MESSAGE_TOO_LARGE``; raising it again is the broker coming back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import MessageSizeTooLargeError
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType

from services.ingest.brands import BrandMap
from services.ingest.bridge import Gate, ThreadSink
from services.ingest.dedupe import Admission
from services.ingest.metrics import IngestMetrics
from services.ingest.outbox_loop import run_outbox
from services.ingest.xapi.client import ApiCalls, Connection, XApi
from services.ingest.xapi.cursors import Cursor, CursorStore
from services.ingest.xapi.outbox import Outbox, ReplyLedger
from services.ingest.xapi.polling import Poller
from services.plumbing.clock import FakeClock
from services.plumbing.contracts.codecs import OUTBOX_REPLIES, OUTBOX_RESULTS, TWEETS_RAW
from services.plumbing.loops import keep_running
from services.plumbing.metrics import new_registry
from services.plumbing.publisher import make_producer
from services.plumbing.settings import KafkaSettings
from tests.integration.ingest.replies import public_reply
from tests.integration.topics import read_all
from tests.xapi.server import APP_TOKEN, FakeX

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]

BRANDS = BrandMap.from_pairs(["AcmeHelp=acme"])
TOO_SMALL = 64  # bytes: less than any event
ROOMY = 1_048_588  # the broker's default


def limit_message_bytes(bootstrap: str, topic: str, limit: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        config = {"max.message.bytes": str(limit)}
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=config)])
    finally:
        admin.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 22, 6, 0, tzinfo=UTC))


def test_a_poll_whose_send_failed_publishes_those_tweets_on_its_retry(
    fake: FakeX, clock: FakeClock, kafka_bootstrap: str,
    fresh_topics: Callable[..., list[str]], tmp_path: Path,
) -> None:  # fmt: skip
    (topic,) = fresh_topics("tweets", partitions=1)
    tweets = [fake.add_tweet("mika_t", f"@AcmeHelp 荷物がまだです {n}") for n in range(3)]
    user_id = fake.user("AcmeHelp")["id"]
    limit_message_bytes(kafka_bootstrap, topic, TOO_SMALL)

    async def main() -> tuple[int, Cursor]:
        producer = make_producer(KafkaSettings(kafka_bootstrap=kafka_bootstrap), client_id="t")
        await producer.start()
        try:
            metrics = IngestMetrics(new_registry())
            gate = Gate(producer, Admission(), metrics, clock, topic=topic)
            sink = ThreadSink(gate, asyncio.get_running_loop(), timeout_s=30)
            connection = Connection(fake.base_url, ApiCalls(), clock=clock, sleep=clock.advance)
            cursors = CursorStore(tmp_path / "x_cursors.json")
            poller = Poller(XApi(APP_TOKEN, connection), BRANDS, cursors, sink, clock=clock)
            with pytest.raises(MessageSizeTooLargeError):
                await asyncio.to_thread(poller.mentions, "AcmeHelp", user_id)
            limit_message_bytes(kafka_bootstrap, topic, ROOMY)
            await asyncio.sleep(1)  # the broker applies the topic's new config
            retried = await asyncio.to_thread(poller.mentions, "AcmeHelp", user_id)
            return retried.published, cursors.get("mentions:acmehelp")
        finally:
            await producer.stop()

    published, cursor = asyncio.run(main())

    records = [TWEETS_RAW.decode(r.value) for r in read_all(kafka_bootstrap, topic)]
    assert published == 3
    assert sorted(e.tweet_id for e in records) == sorted(t["id"] for t in tweets)
    assert cursor == Cursor(since_id=tweets[-1]["id"])


def test_replies_after_one_whose_result_kafka_refused_are_posted_not_skipped(
    fake: FakeX, clock: FakeClock, kafka_bootstrap: str,
    fresh_topics: Callable[..., list[str]], tmp_path: Path,
) -> None:  # fmt: skip
    replies_topic, results_topic, tweets_topic = fresh_topics(
        "replies", "results", "tweets", partitions=1
    )
    customer = fake.add_tweet("mika_t", "@AcmeHelp 荷物がまだです")
    replies = [public_reply(f"r-{n}", customer) for n in range(3)]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for reply in replies:  # one partition: one batch, in this order
        producer.send(replies_topic, OUTBOX_REPLIES.encode(reply), key=reply.case_key.encode())
    producer.flush()
    producer.close()
    limit_message_bytes(kafka_bootstrap, results_topic, TOO_SMALL)
    group = f"test-outbox-{replies_topic}"

    async def main() -> int | None:
        connection = Connection(fake.base_url, ApiCalls(), clock=clock, sleep=clock.advance)
        apis = {"AcmeHelp": XApi(fake.token_of("AcmeHelp"), connection)}
        outbox = Outbox(apis, ReplyLedger(tmp_path / "outbox_ledger.jsonl"), clock=clock)
        kafka = make_producer(KafkaSettings(kafka_bootstrap=kafka_bootstrap), client_id="t")
        consumer = AIOKafkaConsumer(
            replies_topic, bootstrap_servers=kafka_bootstrap, group_id=group,
            enable_auto_commit=False, auto_offset_reset="earliest",
        )  # fmt: skip
        await kafka.start()
        await consumer.start()
        stop = asyncio.Event()
        metrics = IngestMetrics(new_registry())
        gate = Gate(kafka, Admission(), metrics, clock, topic=tweets_topic)

        def posting() -> Any:
            return run_outbox(
                consumer, kafka, outbox, metrics, stop, on_echo=gate.remember, clock=clock,
                results_topic=results_topic, tweets_topic=tweets_topic,
            )  # fmt: skip

        task = asyncio.create_task(keep_running("outbox", posting, stop, pause_s=0.2))
        try:
            await _until(lambda: len(fake.posted) >= 1)
            await asyncio.sleep(1)  # the loop fails on the first result, and restarts
            limit_message_bytes(kafka_bootstrap, results_topic, ROOMY)
            await _until(lambda: len(fake.posted) == 3 and fake.calls["POST /2/tweets"] == 3)
            tp = TopicPartition(replies_topic, 0)
            await _until_async(lambda: _committed(consumer, tp), 3)
            return await consumer.committed(tp)
        finally:
            stop.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await consumer.stop()
            await kafka.stop()

    committed = asyncio.run(main())

    results = [OUTBOX_RESULTS.decode(r.value) for r in read_all(kafka_bootstrap, results_topic)]
    echoes = [TWEETS_RAW.decode(r.value) for r in read_all(kafka_bootstrap, tweets_topic)]
    posted_ids = [t["id"] for t in fake.posted]
    assert [(r.reply_id, r.status) for r in results] == [(r.reply_id, "posted") for r in replies]
    assert [r.posted_tweet_id for r in results] == posted_ids
    assert sorted(e.tweet_id for e in echoes) == sorted(posted_ids)  # each echo once
    assert committed == 3


async def _until(done: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def _committed(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
    offset: int | None = await consumer.committed(tp)
    return offset


async def _until_async(
    read: Callable[[], Coroutine[Any, Any, int | None]], want: int, timeout_s: float = 30
) -> None:
    deadline = time.monotonic() + timeout_s
    while await read() != want:
        assert time.monotonic() < deadline, f"not {want} in {timeout_s}s"
        await asyncio.sleep(0.1)
