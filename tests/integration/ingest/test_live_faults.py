"""The live X sources and the outbox when Kafka refuses a send, on the real broker and the fake X.

Kafka is made to refuse for real: the topic's ``max.message.bytes`` is set below the size of one
event, so the broker answers ``MESSAGE_TOO_LARGE``; raising it again is the broker coming back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka.errors import MessageSizeTooLargeError
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from services.ingest.brands import BrandMap
from services.ingest.bridge import Gate, ThreadSink
from services.ingest.dedupe import Admission
from services.ingest.metrics import IngestMetrics
from services.ingest.xapi.client import ApiCalls, Connection, XApi
from services.ingest.xapi.cursors import Cursor, CursorStore
from services.ingest.xapi.polling import Poller
from services.plumbing.clock import FakeClock
from services.plumbing.contracts.codecs import TWEETS_RAW
from services.plumbing.metrics import new_registry
from services.plumbing.publisher import make_producer
from services.plumbing.settings import KafkaSettings
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
def fake() -> Iterator[FakeX]:
    with FakeX() as x:
        x.add_user("AcmeHelp", verified=True)
        x.add_user("mika_t")
        yield x


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
