"""Consume ``outbox.replies``, post each reply once, publish what became of it.

For each reply: the poster posts it (at most once per reply id, its ledger decides), the outcome
goes to ``outbox.results`` (posted with the new tweet id, or failed with the reason), and a posted
reply goes to ``tweets.raw`` at once as the brand's outbound tweet (:mod:`services.ingest.echo`).
Offsets are committed only after those are acknowledged; a redelivered reply meets the ledger and
is not posted again (its outbound tweet is published again only if the ledger does not say it was
acknowledged). A malformed reply goes to ``outbox.replies.dlq`` with the reason.

When handling a reply fails (Kafka refuses a send, X cannot say who the brand account is, the
ledger cannot be written), ``getmany`` has already moved past the whole batch: the loop seeks each
partition back to its first reply not handled and raises, so the restarted loop gets that reply
again and no commit passes a reply that was neither posted nor reported.

When the group rebalances (a replica joins or leaves), :class:`HandOver` holds the partitions
until the batch in hand is committed: the next owner does not meet a reply this replica is still
posting. A replica killed mid-post cannot wait: its next owner finds the reply ``attempting`` in
the shared ledger and reports it ``outcome_unknown`` (:mod:`.xapi.ledger_topic`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import IllegalStateError

from services.ingest.echo import posted_reply
from services.ingest.metrics import IngestMetrics
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.consumer_metrics import ConsumerMetrics, CountedRebalances, consumer_metrics
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

    def echo_due(self, reply_id: str) -> bool:
        """Whether ``reply_id`` is posted and its outbound tweet not yet acknowledged."""

    def echo_sent(self, reply_id: str) -> None:
        """Record durably that the outbound tweet of ``reply_id`` was acknowledged."""


async def handle(reply: OutboxReply, poster: Poster) -> tuple[OutboxResult, TweetEvent | None]:
    """Post one reply (in a thread: tweepy blocks) and build its outbound echo while one is due
    (a redelivered reply gets its earlier result again, and an echo only if none was
    acknowledged)."""
    result = await asyncio.to_thread(poster.post, reply)
    posted = result.posted_tweet_id
    if result.status != "posted" or posted is None or not poster.echo_due(reply.reply_id):
        return result, None
    author = await asyncio.to_thread(poster.brand_user_id, reply.handle)
    return result, posted_reply(reply, posted, author, result.attempted_at)


def rewind_to(
    batches: Mapping[TopicPartition, Sequence[int]], handled: Mapping[TopicPartition, int]
) -> dict[TopicPartition, int]:
    """Where each partition of a batch must be read again: its first offset not handled.

    ``batches`` holds the offsets ``getmany`` returned, ``handled`` the next offset to handle of
    each partition (absent: none handled). A partition handled to its end is left out."""
    rewind = {}
    for tp, offsets in batches.items():
        if not offsets:
            continue
        first = handled.get(tp, offsets[0])
        if first <= offsets[-1]:
            rewind[tp] = first
    return rewind


async def run_outbox(
    consumer: AIOKafkaConsumer,
    producer: AIOKafkaProducer,
    poster: Poster,
    metrics: IngestMetrics,
    stop: asyncio.Event,
    *,
    on_echo: Callable[[TweetEvent], None] | None = None,
    clock: Clock = SYSTEM_CLOCK,
    results_topic: str = OUTBOX_RESULTS.topic,
    tweets_topic: str = TWEETS_RAW.topic,
    busy: asyncio.Lock | None = None,
) -> None:
    """The loop; ``on_echo`` tells the duplicate window about an echo Kafka acknowledged (so
    the copy X sends back later is held back); ``clock`` dates dead letters. Batches and commits
    are timed as :data:`CONSUMER` in ``metrics``' registry
    (:mod:`services.plumbing.consumer_metrics`). Raises what stopped a batch, after seeking back
    to its first reply not handled (see the module's docstring). ``busy`` is held from a batch's
    first reply to its commit (:class:`HandOver` waits for it)."""
    busy = busy or asyncio.Lock()
    timing = consumer_metrics(metrics.registry)
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=200, max_records=100)
        if not batches:
            continue
        async with busy:
            handled: dict[TopicPartition, int] = {}
            try:
                with timing.processing(CONSUMER):
                    await _handle_batch(batches, handled, producer, poster, metrics, on_echo,
                                        clock, results_topic, tweets_topic)  # fmt: skip
            except BaseException:
                offsets = {tp: [r.offset for r in records] for tp, records in batches.items()}
                for tp, offset in rewind_to(offsets, handled).items():
                    # Revoked meanwhile: its next owner starts from the committed offset anyway.
                    with contextlib.suppress(IllegalStateError):
                        consumer.seek(tp, offset)
                raise
            with timing.committing(CONSUMER):
                await consumer.commit()


class HandOver(CountedRebalances):
    """The outbox's rebalance listener: gives partitions up only once the batch in hand is
    posted, reported and committed (``busy`` released), so the next owner starts after it
    instead of finding its reply ``attempting`` in the shared ledger while this replica is still
    posting it (which it would report ``outcome_unknown``)."""

    def __init__(self, metrics: ConsumerMetrics, group: str, busy: asyncio.Lock) -> None:
        super().__init__(metrics, group)
        self._busy = busy

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._busy:
            pass  # the batch in hand is done: its partitions may go


async def _handle_batch(
    batches: dict[Any, list[Any]], handled: dict[TopicPartition, int],
    producer: AIOKafkaProducer, poster: Poster, metrics: IngestMetrics,
    on_echo: Callable[[TweetEvent], None] | None, clock: Clock, results_topic: str,
    tweets_topic: str,
) -> None:  # fmt: skip
    """Handle every record in order; ``handled[tp]`` is the next offset once a record is done."""
    for tp, records in batches.items():
        for record in records:
            await _handle_record(tp, record, producer, poster, metrics, on_echo, clock,
                                 results_topic, tweets_topic)  # fmt: skip
            handled[tp] = record.offset + 1


async def _handle_record(
    tp: TopicPartition, record: Any, producer: AIOKafkaProducer, poster: Poster,
    metrics: IngestMetrics, on_echo: Callable[[TweetEvent], None] | None, clock: Clock,
    results_topic: str, tweets_topic: str,
) -> None:  # fmt: skip
    decoded = decode(OUTBOX_REPLIES, Record.of(record), consumer=CONSUMER, now=clock.now())
    if isinstance(decoded, DeadLetter):
        await producer.send_and_wait(
            dlq_topic(tp.topic), DEAD_LETTERS.encode(decoded), key=record.key
        )
        metrics.dead_letters.labels(tp.topic, decoded.reason_code.value).inc()
        return
    result, echo = await handle(decoded, poster)
    key = decoded.case_key.encode()
    # The result first: a failure after it repeats the result (same event id), never an echo
    # without its result.
    await producer.send_and_wait(results_topic, OUTBOX_RESULTS.encode(result), key=key)
    metrics.outbox.labels(result.status).inc()
    if echo is not None:
        await producer.send_and_wait(tweets_topic, TWEETS_RAW.encode(echo), key=key)
        await asyncio.to_thread(poster.echo_sent, decoded.reply_id)
        metrics.published.labels(echo.source.value).inc()
        if on_echo is not None:
            on_echo(echo)
    log.info(
        "outbox reply handled",
        extra={"reply_id": decoded.reply_id, "case_id": decoded.case_id,
               "status": result.status, "error_code": result.error_code},
    )  # fmt: skip
