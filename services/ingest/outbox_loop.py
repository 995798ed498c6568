"""Consume ``outbox.replies``, post each reply once, publish what became of it.

For each reply: the poster posts it (at most once per reply id, its ledger decides), the outcome
goes to ``outbox.results`` (posted with the new tweet id, or failed with the reason), and a posted
reply goes to ``tweets.raw`` at once as the brand's outbound tweet (:mod:`services.ingest.echo`).
Offsets are committed only after those are acknowledged; a redelivered reply meets the ledger and
is not posted again. A malformed reply goes to ``outbox.replies.dlq`` with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.ingest.echo import posted_reply
from services.ingest.metrics import IngestMetrics
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.consumer_metrics import consumer_metrics
from services.plumbing.contracts.codecs import (
    DEAD_LETTERS,
    OUTBOX_REPLIES,
    OUTBOX_RESULTS,
    TWEETS_RAW,
    dlq_topic,
)
from services.plumbing.contracts.deadletter import DeadLetter
from services.plumbing.contracts.outbox import OutboxReply, OutboxResult
from services.plumbing.contracts.tweets import TweetEvent
from services.plumbing.deadletters import decode
from services.plumbing.records import Record

log = logging.getLogger("tweetcare.ingest.outbox")
CONSUMER = "tweetcare-ingest-outbox"


class Poster(Protocol):
    def post(self, reply: OutboxReply) -> OutboxResult:
        """Post ``reply`` unless its id was attempted before; never raises for X's errors."""

    def brand_user_id(self, handle: str) -> str:
        """The X user id of a brand handle (the author of its replies)."""

    def knows(self, reply_id: str) -> bool:
        """Whether ``reply_id`` was handled before (its echo was published then)."""


async def handle(reply: OutboxReply, poster: Poster) -> tuple[OutboxResult, TweetEvent | None]:
    """Post one reply (in a thread: tweepy blocks) and build the outbound echo if it was posted
    now (a redelivered reply gets its earlier result again, and no second echo)."""
    known = poster.knows(reply.reply_id)
    result = await asyncio.to_thread(poster.post, reply)
    if known or result.status != "posted" or result.posted_tweet_id is None:
        return result, None
    echo = posted_reply(
        reply, result.posted_tweet_id, poster.brand_user_id(reply.handle), result.attempted_at
    )
    return result, echo


async def run_outbox(
    consumer: AIOKafkaConsumer,
    producer: AIOKafkaProducer,
    poster: Poster,
    metrics: IngestMetrics,
    stop: asyncio.Event,
    *,
    on_echo: Callable[[TweetEvent], bool] | None = None,
    clock: Clock = SYSTEM_CLOCK,
    results_topic: str = OUTBOX_RESULTS.topic,
    tweets_topic: str = TWEETS_RAW.topic,
) -> None:
    """The loop; ``on_echo`` tells the duplicate window about an echo (False: already seen);
    ``clock`` dates dead letters. Batches and commits are timed as :data:`CONSUMER` in
    ``metrics``' registry (:mod:`services.plumbing.consumer_metrics`)."""
    timing = consumer_metrics(metrics.registry)
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=200, max_records=100)
        if not batches:
            continue
        with timing.processing(CONSUMER):
            await _handle_batch(batches, producer, poster, metrics, on_echo, clock,
                                results_topic, tweets_topic)  # fmt: skip
        with timing.committing(CONSUMER):
            await consumer.commit()


async def _handle_batch(
    batches: dict[Any, list[Any]], producer: AIOKafkaProducer, poster: Poster,
    metrics: IngestMetrics, on_echo: Callable[[TweetEvent], bool] | None, clock: Clock,
    results_topic: str, tweets_topic: str,
) -> None:  # fmt: skip
    for tp, records in batches.items():
        for record in records:
            decoded = decode(OUTBOX_REPLIES, Record.of(record), consumer=CONSUMER, now=clock.now())
            if isinstance(decoded, DeadLetter):
                metrics.dead_letters.labels(tp.topic, decoded.reason_code.value).inc()
                await producer.send_and_wait(
                    dlq_topic(tp.topic), DEAD_LETTERS.encode(decoded), key=record.key
                )
                continue
            result, echo = await handle(decoded, poster)
            metrics.outbox.labels(result.status).inc()
            key = decoded.case_key.encode()
            sends = [await producer.send(results_topic, OUTBOX_RESULTS.encode(result), key=key)]
            if echo is not None and (on_echo is None or on_echo(echo)):
                sends.append(await producer.send(tweets_topic, TWEETS_RAW.encode(echo), key=key))
                metrics.published.labels(echo.source.value).inc()
            await asyncio.gather(*sends)
            log.info(
                "outbox reply handled",
                extra={"reply_id": decoded.reply_id, "case_id": decoded.case_id,
                       "status": result.status, "error_code": result.error_code},
            )  # fmt: skip
