"""Where every source's tweets go: the duplicate window, then ``tweets.raw``; rejects to its DLQ.

The X sources run in threads (tweepy blocks); :class:`ThreadSink` hands their events to the event
loop and blocks until Kafka has acknowledged them, so a source moves its cursor only after that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from services.ingest.dedupe import Admission
from services.ingest.metrics import IngestMetrics
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.contracts.codecs import DEAD_LETTERS, TWEETS_RAW, dlq_topic
from services.plumbing.contracts.tweets import TweetEvent
from services.plumbing.deadletters import dead_letter_of
from services.plumbing.publisher import EventPublisher
from services.plumbing.records import Record

CONSUMER = "tweetcare-ingest"


class Gate:
    """Admits events (duplicates and retweets held back), publishes and counts them. Runs on the
    event loop's thread only."""

    def __init__(
        self, producer: AIOKafkaProducer, admission: Admission, metrics: IngestMetrics,
        clock: Clock = SYSTEM_CLOCK, topic: str = TWEETS_RAW.topic,
    ) -> None:  # fmt: skip
        self._producer = producer
        self.topic = topic
        self._publisher = EventPublisher(producer, TWEETS_RAW, lambda e: e.case_key, topic=topic)
        self.admission = admission
        self.metrics = metrics
        self._clock = clock

    def remember(self, event: TweetEvent) -> None:
        """An event published elsewhere (the outbox's echo) and acknowledged: seen from now on,
        so the copy a source brings later is held back."""
        self.admission.confirm([event])

    async def send_batch(self, events: Sequence[TweetEvent]) -> list[asyncio.Future[Any]]:
        """For :func:`services.ingest.replay.replay` (which admits by itself): publish, count."""
        futures = await self._publisher.send_batch(events)
        for event in events:
            self.metrics.published.labels(event.source.value).inc()
        return futures

    async def publish(self, events: Sequence[TweetEvent]) -> int:
        """Admit, publish and wait for Kafka; the number published. The events count as seen
        only once Kafka acknowledged them: when the send fails (the error is raised) they are
        unseen again, so the source, which keeps its cursor, publishes them on its retry."""
        admitted = self.admission.reserve(events)
        if not admitted:
            return 0
        try:
            await asyncio.gather(*await self.send_batch(admitted))
        except BaseException:
            self.admission.release(admitted)
            raise
        self.admission.confirm(admitted)
        done = self._clock.now()
        for event in admitted:
            self.metrics.publish_latency.observe(
                max(0.0, (done - event.received_at).total_seconds())
            )
        return len(admitted)

    async def reject(self, payload: Mapping[str, Any], reason: str) -> None:
        """A payload that could not become an event: to ``tweets.raw.dlq`` with the reason."""
        # Not a consumed record: it never reached Kafka, so it has no partition or offset.
        record = Record(self.topic, 0, 0, None, orjson.dumps(payload, default=str))
        letter = dead_letter_of(
            ValueError(reason), record, consumer=CONSUMER, now=self._clock.now()
        )
        self.metrics.dead_letters.labels(self.topic, letter.reason_code.value).inc()
        await self._producer.send_and_wait(dlq_topic(self.topic), DEAD_LETTERS.encode(letter))


class ThreadSink:
    """The ``Sink`` the X sources call from their threads."""

    def __init__(
        self, gate: Gate, loop: asyncio.AbstractEventLoop, timeout_s: float = 60.0
    ) -> None:
        self._gate = gate
        self._loop = loop
        self._timeout = timeout_s

    def publish(self, events: Sequence[TweetEvent]) -> None:
        asyncio.run_coroutine_threadsafe(self._gate.publish(events), self._loop).result(
            self._timeout
        )

    def reject(self, payload: Mapping[str, Any], reason: str) -> None:
        asyncio.run_coroutine_threadsafe(self._gate.reject(payload, reason), self._loop).result(
            self._timeout
        )
