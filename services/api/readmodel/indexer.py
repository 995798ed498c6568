"""The indexer: ``tweets.triaged`` and ``cases.events`` into the read model, exactly once in effect.

Commit policy: a polled batch is decoded, written with one bulk request (sent while the previous
batch's may still be in Elasticsearch: at most two are in flight), and its offsets are committed
only after Elasticsearch accepted every document (or refused a case document as an older
version, which is success: the newer one is already there) and the previous batch committed.
While Elasticsearch is down or overloaded the same batch is retried with exponential backoff, so
nothing is lost; every write is idempotent (tweets by tweet id, case documents by external
version, case events by event id), so a batch written twice — after a crash before the
commit — doubles nothing, and the two batches in flight may be applied in either order.

Undecodable records go to ``<topic>.dlq`` with the reason (:mod:`services.plumbing.deadletters`),
and so does a record whose document Elasticsearch refuses for good (a mapping error); both are
counted in :class:`IndexerStats`. A request-level error that no retry can fix (a 4xx on the whole
request) raises: that is a bug or a misconfiguration, never a reason to drop data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError
from aiokafka.structs import TopicPartition
from elasticsearch import ApiError, AsyncElasticsearch, TransportError
from prometheus_client import CollectorRegistry

from services.api.metrics import ApiMetrics
from services.api.readmodel.documents import case_operations, tweet_operation
from services.api.readmodel.indices import (
    CASE_EVENTS,
    CASES,
    KINDS,
    TWEETS,
    ensure_indices,
    index_name,
)
from services.api.settings import ApiSettings
from services.plumbing.agreement import AgreementMetrics
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.consumer_metrics import consumer_metrics
from services.plumbing.contracts.cases import CaseEvent
from services.plumbing.contracts.codecs import (
    CASES_EVENTS,
    DEAD_LETTERS,
    TWEETS_TRIAGED,
    Codec,
    TopicName,
    dlq_topic,
)
from services.plumbing.contracts.deadletter import DeadLetter
from services.plumbing.contracts.tweets import TriagedTweet
from services.plumbing.deadletters import dead_letter_of, decode
from services.plumbing.lag import aiokafka_lag
from services.plumbing.metrics import new_registry
from services.plumbing.polling import gather
from services.plumbing.records import Record

log = logging.getLogger("tweetcare.api.indexer")
CONSUMER = "tweetcare-api-indexer"

Partition = tuple[str, int]
"""(topic, partition)."""


@dataclass(frozen=True)
class IndexerConfig:
    """Where to read, where to write, and how hard to try."""

    bootstrap: str
    prefix: str
    group_id: str
    tweets_topic: str = TopicName.TWEETS_TRIAGED.value
    cases_topic: str = TopicName.CASES_EVENTS.value
    tweets_dlq: str | None = None  # default: <tweets_topic>.dlq
    cases_dlq: str | None = None
    dead_letters: bool = True  # a rebuild counts bad records but does not send them again
    batch_size: int = 1000
    poll_ms: int = 200
    linger_s: float = 0.1  # a batch gathers what arrives within this of its first record
    backoff_s: float = 0.2
    backoff_max_s: float = 10.0
    refresh: bool = False  # True makes every batch searchable at once (tests, demos)
    # After each bulk that wrote case documents, refresh the cases index: a case is in its
    # queue as soon as it is indexed, not up to the index's refresh interval later (500 ms,
    # half of the ingest → queue budget). Only that index, the one the queues read.
    refresh_cases: bool = True

    @classmethod
    def of(cls, settings: ApiSettings) -> IndexerConfig:
        return cls(
            bootstrap=settings.kafka_bootstrap,
            prefix=settings.es_index_prefix,
            group_id=settings.api_indexer_group,
            tweets_topic=settings.api_tweets_topic,
            cases_topic=settings.api_cases_topic,
            refresh_cases=settings.api_indexer_refresh_cases,
        )

    def dlq(self, topic: str) -> str:
        if topic == self.tweets_topic and self.tweets_dlq:
            return self.tweets_dlq
        if topic == self.cases_topic and self.cases_dlq:
            return self.cases_dlq
        return dlq_topic(topic)


@dataclass
class IndexerStats:
    """Counters the app turns into Prometheus metrics (all only grow)."""

    records: int = 0  # Kafka records handled (committed batches)
    batches: int = 0
    indexed: int = 0  # documents Elasticsearch created or updated
    conflicts: int = 0  # case documents refused as older than the stored version
    retries: int = 0  # bulk attempts repeated after Elasticsearch failed
    dlq: int = 0  # records dead-lettered (or, in a rebuild, found bad again)
    refresh_failures: int = 0  # refreshes of the cases index Elasticsearch did not do
    indexed_by_kind: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(KINDS, 0)
    )  # tweets, cases, case-events


class IndexingRefusedError(Exception):
    """Elasticsearch refused a record's document for good (e.g. a mapping error)."""


@dataclass(frozen=True)
class _Op:
    kind: str
    meta: dict[str, Any]
    source: dict[str, Any]
    record: int  # index of the Kafka record in its batch


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, ApiError):
        return exc.meta.status == 429 or exc.meta.status >= 500
    return isinstance(exc, TransportError)  # connection refused, reset, timeout


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]
    """Reports the committed offsets of newly assigned partitions (a restarted group's start),
    and each assignment to ``rebalanced``."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        note: Callable[[str, int, int], None],
        rebalanced: Callable[[], None],
    ) -> None:
        self._consumer = consumer
        self._note = note
        self._rebalanced = rebalanced

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self._rebalanced()
        for tp in assigned:
            offset = await self._consumer.committed(tp)
            if offset is not None:
                self._note(tp.topic, tp.partition, offset)


class Indexer:
    """Consumes both topics in one consumer group and keeps the read model up to date."""

    def __init__(
        self,
        es: AsyncElasticsearch,
        config: IndexerConfig,
        *,
        clock: Clock = SYSTEM_CLOCK,
        stats: IndexerStats | None = None,
        producer: AIOKafkaProducer | None = None,
        metrics: ApiMetrics | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        """``producer`` (for dead letters) is made and stopped by :meth:`run` unless given;
        ``metrics``, when given, mirror :attr:`stats` after every batch and retry; ``registry``,
        when given, gets the consumer's lag (:mod:`services.plumbing.lag`), rebalances, batch and
        commit times (:mod:`services.plumbing.consumer_metrics`)."""
        self._es = es
        self.config = config
        self._clock = clock
        self.stats = stats or IndexerStats()
        self._producer = producer
        self._metrics = metrics
        self._registry = registry
        self._consumers = consumer_metrics(registry or new_registry())
        # How often agents overturn triage, counted from the case events as they are indexed.
        self._agreement = AgreementMetrics(registry) if registry is not None else None
        self._consumers.watch(config.group_id)
        self._codecs: dict[str, Codec[Any]] = {
            config.tweets_topic: TWEETS_TRIAGED,
            config.cases_topic: CASES_EVENTS,
        }
        self._committed: dict[Partition, int] = {}

    @classmethod
    def for_service(
        cls,
        settings: ApiSettings,
        es: AsyncElasticsearch,
        producer: AIOKafkaProducer,
        metrics: ApiMetrics,
        registry: CollectorRegistry | None = None,
    ) -> Indexer:
        """The API service's indexer: its settings, its started producer, its metrics."""
        return cls(
            es, IndexerConfig.of(settings), producer=producer, metrics=metrics, registry=registry
        )

    def committed(self) -> dict[Partition, int]:
        """The offsets this instance committed (or found committed when assigned)."""
        return dict(self._committed)

    def _note_committed(self, topic: str, partition: int, offset: int) -> None:
        key = (topic, partition)
        self._committed[key] = max(offset, self._committed.get(key, 0))

    async def run(self, stop: asyncio.Event) -> None:
        """Index until ``stop`` is set; a batch not yet accepted when it is set is not committed
        (the next run repeats it). Raises only on errors no retry can fix."""
        if not await self._retry(
            stop, "ensure indices", lambda: ensure_indices(self._es, self.config.prefix)
        ):
            return
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.config.bootstrap,
            group_id=self.config.group_id,
            client_id=CONSUMER,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.config.batch_size,
            fetch_min_bytes=64 * 1024,  # fuller fetches at moderate rates, never later than:
            fetch_max_wait_ms=max(1, int(self.config.linger_s * 1000)),
        )
        group = self.config.group_id
        listener = _Assigned(
            consumer, self._note_committed, lambda: self._consumers.rebalanced(group)
        )
        consumer.subscribe(list(self._codecs), listener=listener)
        if self._registry is not None:
            aiokafka_lag(consumer, self.config.group_id, self._registry, committed=self.committed)
        own = self._producer is None
        producer = self._producer or AIOKafkaProducer(
            bootstrap_servers=self.config.bootstrap,
            client_id=CONSUMER,
            acks="all",
            enable_idempotence=True,
        )
        await consumer.start()
        try:
            if own:
                await producer.start()
            previous: asyncio.Task[bool] | None = None
            try:
                while not stop.is_set():
                    polled = await gather(
                        consumer, size=self.config.batch_size, window_s=self.config.linger_s,
                        wait_s=self.config.poll_ms / 1000, stop=stop,
                    )  # fmt: skip
                    if not polled:
                        continue
                    # This batch's bulk request goes out while the previous one's is still
                    # in Elasticsearch (it waits on I/O far more than it computes); its commit
                    # waits for the previous batch's. At most two batches are in flight.
                    batch = asyncio.create_task(
                        self._batch(consumer, producer, polled, stop, previous)
                    )
                    try:
                        if previous is not None and not await previous:
                            await batch
                            return
                    except BaseException:
                        batch.cancel()  # the previous batch failed: this one never commits
                        raise
                    previous = batch
                if previous is not None:
                    await previous
            finally:
                if own:
                    await producer.stop()
        finally:
            await consumer.stop()

    async def _batch(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        polled: Mapping[TopicPartition, list[Any]],
        stop: asyncio.Event,
        previous: asyncio.Task[bool] | None = None,
    ) -> bool:
        """Write one polled batch and commit it once ``previous`` (the batch polled before it)
        has committed; False, committing nothing, when ``stop`` came first (or ``previous``
        stopped). Every write is idempotent and versioned, so the two batches' bulk requests
        may be applied in either order."""
        group = self.config.group_id
        with self._consumers.processing(group):
            records = [Record.of(r) for batch in polled.values() for r in batch]
            now = self._clock.now()
            ops: list[_Op] = []
            events: list[CaseEvent] = []
            dead: dict[int, DeadLetter] = {}
            for i, record in enumerate(records):
                decoded = decode(self._codecs[record.topic], record, consumer=CONSUMER, now=now)
                if isinstance(decoded, DeadLetter):
                    dead[i] = decoded
                elif isinstance(decoded, TriagedTweet):
                    meta, source = tweet_operation(decoded, self.config.prefix)
                    ops.append(_Op(TWEETS, meta, source, i))
                else:
                    events.append(decoded)
                    (case_meta, case), (event_meta, event) = case_operations(
                        decoded, self.config.prefix, _wire_case(record.value)
                    )
                    ops += [_Op(CASES, case_meta, case, i), _Op(CASE_EVENTS, event_meta, event, i)]
            refused: dict[int, str] = {}  # record index -> why Elasticsearch will never take it
            wrote_cases = bool(events)
            if ops and not await self._retry(stop, "bulk", lambda: self._bulk(ops, refused)):
                return False
            if wrote_cases and self.config.refresh_cases and not self.config.refresh:
                await self._refresh_cases()
            if previous is not None and not await previous:
                return False
            for i, reason in refused.items():
                dead[i] = dead_letter_of(
                    IndexingRefusedError(reason), records[i], consumer=CONSUMER, now=now
                )
            await self._dead_letters(producer, records, dead)
            if self._agreement is not None:
                for case_event in events:
                    self._agreement.count(case_event)
        offsets = {tp: batch[-1].offset + 1 for tp, batch in polled.items()}
        try:
            with self._consumers.committing(group):
                await consumer.commit(offsets)
        except CommitFailedError:
            # A rebalance gave the partitions to another member, which repeats the batch;
            # every write is idempotent, so that doubles nothing.
            log.warning("offsets not committed after a rebalance", extra={"records": len(records)})
            return True
        for tp, offset in offsets.items():
            self._note_committed(tp.topic, tp.partition, offset)
        self.stats.records += len(records)
        self.stats.batches += 1
        if self._metrics is not None:
            for kind, count in self.stats.indexed_by_kind.items():
                self._metrics.indexed.labels(kind).set(count)
        return True

    async def _bulk(self, ops: list[_Op], refused: dict[int, str]) -> None:
        """One bulk attempt; items Elasticsearch could take later stay in ``ops`` and raise."""
        # Encoded here with orjson (the client would use the standard library's json: three
        # times the CPU); the client sends lines given as bytes as they are.
        body = b"".join(
            orjson.dumps(op.meta) + b"\n" + orjson.dumps(op.source) + b"\n" for op in ops
        )
        response = await self._es.bulk(operations=cast(Any, body), refresh=self.config.refresh)
        later: list[_Op] = []
        for op, item in zip(ops, response["items"], strict=True):
            result = next(iter(item.values()))
            status = int(result["status"])
            if status < 300:
                self.stats.indexed += 1
                self.stats.indexed_by_kind[op.kind] += 1
            elif status == 409:
                self.stats.conflicts += 1
            elif status == 429 or status >= 500:
                later.append(op)
            else:
                error = result.get("error", {})
                refused.setdefault(
                    op.record, f"{error.get('type', status)}: {error.get('reason', '')}"[:1000]
                )
        ops[:] = later
        if later:
            raise _ItemsLaterError(len(later))

    async def _refresh_cases(self) -> None:
        """Make the cases just written searchable. Best effort: should Elasticsearch not
        refresh now, its scheduled refresh shows them within the index's interval."""
        try:
            await self._es.indices.refresh(index=index_name(self.config.prefix, CASES))
        except (ApiError, TransportError) as exc:
            self.stats.refresh_failures += 1
            log.warning(
                "elasticsearch did not refresh the cases index; its interval will",
                extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
            )

    async def _retry(
        self, stop: asyncio.Event, what: str, attempt: Callable[[], Any]
    ) -> bool:  # fmt: skip
        """Run ``attempt`` until it succeeds (True) or ``stop`` is set while waiting (False)."""
        failures = 0
        while True:
            try:
                await attempt()
                return True
            except (ApiError, TransportError, _ItemsLaterError) as exc:
                if not isinstance(exc, _ItemsLaterError) and not _retryable(exc):
                    raise
                delay = min(self.config.backoff_max_s, self.config.backoff_s * 2**failures)
                failures += 1
                self.stats.retries += 1
                if self._metrics is not None:
                    self._metrics.indexer_retries.set(self.stats.retries)
                log.warning(
                    "elasticsearch did not take the write; retrying",
                    extra={
                        "what": what, "attempt": failures, "delay_s": round(delay, 3),
                        "error": f"{type(exc).__name__}: {exc}"[:300],
                    },
                )  # fmt: skip
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    return False
                except TimeoutError:
                    continue

    async def _dead_letters(
        self, producer: AIOKafkaProducer, records: list[Record], dead: Mapping[int, DeadLetter]
    ) -> None:
        sends = []
        for i, letter in sorted(dead.items()):
            record = records[i]
            log.warning(
                "record dead-lettered",
                extra={
                    "topic": record.topic, "partition": record.partition,
                    "offset": record.offset, "reason_code": letter.reason_code.value,
                    "sent": self.config.dead_letters,
                },
            )  # fmt: skip
            if self._metrics is not None:
                self._metrics.dead_letters.labels(record.topic, letter.reason_code.value).inc()
            if self.config.dead_letters:
                sends.append(
                    await producer.send(
                        self.config.dlq(record.topic), key=record.key,
                        value=DEAD_LETTERS.encode(letter),
                    )
                )  # fmt: skip
        await asyncio.gather(*sends)
        self.stats.dlq += len(dead)


def _wire_case(value: bytes | None) -> dict[str, Any] | None:
    """The ``case`` object of a case event's message, parsed (None when it has none: the event
    already decoded, so that never happens for one that validated)."""
    if value is None:
        return None
    case = orjson.loads(value).get("case")
    return case if isinstance(case, dict) else None


class _ItemsLaterError(Exception):
    """Some bulk items were refused for now (429 or 5xx); the rest were written."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} documents refused for now")
