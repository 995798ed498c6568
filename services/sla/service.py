"""The SLA service: the one writer of case state, as an explicit Kafka consumer-group worker.

Tweets, agent actions and outbox results (all keyed by case key, so one partition and one worker
own a case) are read in batches; the engine (:mod:`services.sla.engine`) applies them to the case
key's book with the pure code and says what to publish. Per batch: the case events, outbox
replies and dead letters go out as one record batch per partition and are acknowledged; then
each changed book's state record (the compacted state topic, co-partitioned with the inputs) is
written and acknowledged; only then are the input offsets committed. A crash at any point
replays inputs whose effects repeat with the same event ids: nothing is lost, consumers drop
the repeats.

The timer loop fires due warnings and breaches itself (same engine, same lock), so a clock
never waits behind a backlog of inputs. On assignment a worker reads its new partitions' state
back (books stay bytes until touched; timers come from the records' due header) and forgets
the partitions it no longer owns. (Why not faust here: docs/architecture.md.)
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from functools import partial
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import TopicPartition

from services.plumbing import heap
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.consumer_metrics import consumer_metrics
from services.plumbing.contracts.codecs import (
    AGENT_ACTIONS,
    DEAD_LETTERS,
    OUTBOX_RESULTS,
    Codec,
)
from services.plumbing.contracts.deadletter import DeadLetter
from services.plumbing.deadletters import dead_letter_of, decode
from services.plumbing.lag import aiokafka_lag
from services.plumbing.metrics import new_registry
from services.plumbing.ops_server import start_ops_server
from services.plumbing.polling import gather
from services.plumbing.publisher import (
    CachingPartitioner,
    counting_failures,
    make_producer,
    send_records,
)
from services.plumbing.records import Record
from services.sla import webhooks
from services.sla.dispatch import Input
from services.sla.engine import Engine, Incoming, Output, StateRecord
from services.sla.inputs import CASE_INPUTS
from services.sla.metrics import SlaMetrics
from services.sla.policies import Policy, PolicySpec, load_policy
from services.sla.settings import SlaSettings
from services.sla.state_topic import check_partitions, read_partitions

log = logging.getLogger("tweetcare.sla")
Dead = tuple[Record, DeadLetter]
"""A consumed message and its dead letter."""
CONSUMER = "tweetcare-sla"


def load(settings: SlaSettings) -> Policy:
    return (
        load_policy(settings.sla_policy.read_text())
        if settings.sla_policy
        else Policy(PolicySpec())
    )


class Worker:
    """One SLA worker: its engine, its producer, and the steps that change state (one at a time)."""

    def __init__(
        self, settings: SlaSettings, policy: Policy, metrics: SlaMetrics,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self.engine = Engine(policy, decoded=settings.sla_decoded_books)
        self.lock = asyncio.Lock()  # one step at a time: a batch, a timer round, a rebalance
        self.codecs: dict[str, Codec[Any]] = {
            settings.sla_triaged_topic: CASE_INPUTS,
            settings.sla_actions_topic: AGENT_ACTIONS,
            settings.sla_results_topic: OUTBOX_RESULTS,
        }
        self.producer: AIOKafkaProducer = make_producer(settings, client_id=settings.sla_app_id)
        self._keys = CachingPartitioner()
        self._hooks: set[asyncio.Task[None]] = set()
        self._tail: asyncio.Task[None] | None = None  # the last batch still settling
        self.owned: set[int] = set()  # the input partitions assigned to this worker
        self.generation = 0  # +1 at every revocation: batches polled before one are dropped
        # Per input (topic, partition): the offset this worker must apply up to before it fires
        # any timer of that partition (see :meth:`assigned`).
        self.catching_up: dict[tuple[str, int], int] = {}

    async def apply_messages(
        self, messages: list[Any], commit: Callable[[], Awaitable[None]] | None = None,
        generation: int | None = None,
    ) -> bool:  # fmt: skip
        """Decode, apply and publish one batch of consumed messages; ``commit`` (their offsets)
        runs once everything the batch wrote is acknowledged. A batch polled in an earlier
        ``generation`` (a rebalance came between) is dropped whole and False returned: the
        caller must then fetch the partitions this worker kept again from the batch's first
        offsets (:func:`rewind`); the others are their new owner's."""
        now = self.clock.now()
        batch: list[Incoming] = []
        dead: list[Dead] = []
        for message in messages:
            record = Record.of(message)
            item: Input | DeadLetter = decode(
                self.codecs[record.topic], record, consumer=CONSUMER, now=now
            )
            if isinstance(item, DeadLetter):
                dead.append((record, item))
                continue
            key = record.key.decode() if record.key else _key_of(item)
            if key is not None:
                batch.append(Incoming(key, record.partition, item, record))
        async with self.lock:
            if generation is not None and generation != self.generation:
                log.info("batch from before a rebalance dropped", extra={"records": len(messages)})
                return False
            # Records read before a rebalance took their partition away belong to its new owner.
            batch = [i for i in batch if i.partition in self.owned]
            dead = [(r, letter) for r, letter in dead if r.partition in self.owned]
            now = self.clock.now()
            await self._publish(self.engine.apply(batch, now), dead, now, commit)
            if self.catching_up:
                self._caught_up(messages)
        return True

    async def settled(self) -> None:
        """Wait until every batch published so far is acknowledged (and committed)."""
        if self._tail is not None:
            await self._tail

    async def fire_due(self) -> None:
        """Fire every warning and breach due now (none while a rebalance is under way: the
        partitions' next owner may already fire them, and it owns them from their state)."""
        due = self.engine.heap.next_at()
        if due is None or due > self.clock.now():
            return
        async with self.lock:
            if self.engine.partitions != self.owned:
                return
            now = self.clock.now()
            ticks = self.engine.due_keys(now, held={p for _, p in self.catching_up})
            if ticks:
                await self._publish(self.engine.apply(ticks, now), [], now)

    def _caught_up(self, messages: list[Any]) -> None:
        """Note how far each input partition has been applied (see :meth:`assigned`)."""
        done: dict[tuple[str, int], int] = {}
        for m in messages:
            done[(m.topic, m.partition)] = m.offset + 1
        for at, offset in done.items():
            if offset >= self.catching_up.get(at, offset + 1):
                del self.catching_up[at]

    async def revoked(self, partitions: set[int]) -> None:
        """Give up ``partitions``: the batches in flight settle (and commit) first; from now
        until the next assignment their timers stay quiet and their inputs are not applied."""
        async with self.lock:
            await self.settled()
            self.owned -= partitions
            self.generation += 1

    async def assigned(
        self, partitions: set[int], catch_up: dict[tuple[str, int], int] | None = None
    ) -> None:
        """Own exactly ``partitions``: forget the others, read back the new ones' state.

        ``catch_up`` gives, per input (topic, partition), the offset to apply up to before the
        partition's timers fire: the previous owner may have published the effects of inputs
        past its last commit (at most the two batches in flight) without writing their state,
        so the state read back can be older than what it announced. Firing a timer from it
        before those inputs are applied again would breach a clock the announced reply met."""
        async with self.lock:
            self.catching_up = {at: o for at, o in (catch_up or {}).items() if at[1] in partitions}
            self.owned = set(partitions)
            dropped = self.engine.release(self.engine.partitions - partitions)
            new = partitions - self.engine.partitions
            state = await read_partitions(self.settings, self.settings.sla_state_topic, new)
            for partition, records in state.items():
                self.engine.own(partition, records)
            self.metrics.cases.clear()
            self.metrics.open_cases.clear()
            self.metrics.changed((), tuple(h for _, book in self.engine.books() for h in book))
        log.info(
            "partitions assigned",
            extra={"owned": sorted(partitions), "recovered": sorted(new), "released_keys": dropped,
                   "keys": len(self.engine), "timers": len(self.engine.heap)},
        )  # fmt: skip

    async def _publish(
        self, out: Output, dead: list[Dead], now: datetime,
        commit: Callable[[], Awaitable[None]] | None = None,
    ) -> None:  # fmt: skip
        """Queue the batch's events, replies and dead letters now (in order after the previous
        batch's); a settling task then waits for their acknowledgement, writes the state that
        records them, waits for that, and commits. The next batch is computed meanwhile; this
        returns once the previous batch has settled (so at most two are in flight), raising
        what made it fail."""
        settings, kafka, keys = self.settings, self.producer, self._keys
        for incoming, exc in out.failed:
            record: Record = incoming.source
            log.error("input could not be applied", extra={"topic": record.topic,
                      "error": f"{type(exc).__name__}: {exc}"[:300]})  # fmt: skip
            dead.append((record, dead_letter_of(exc, record, consumer=CONSUMER, now=now)))
        failed = self.metrics.produce_failures
        sends = [
            *counting_failures(await send_records(kafka, settings.sla_events_topic, out.events,
                               keys), failed.labels(settings.sla_events_topic).inc),
            *counting_failures(await send_records(kafka, settings.sla_outbox_topic, out.outbox,
                               keys), failed.labels(settings.sla_outbox_topic).inc),
        ]  # fmt: skip
        for topic, letters in _by_dlq(dead, settings).items():
            sends += counting_failures(
                await send_records(kafka, topic, letters, keys), failed.labels(topic).inc
            )
        previous = self._tail
        self._tail = asyncio.create_task(self._settle(previous, sends, out.state, commit))
        self._count(out, dead)
        if previous is not None:
            await previous

    async def _settle(
        self, previous: asyncio.Task[None] | None, sends: list[asyncio.Future[Any]],
        state: list[StateRecord], commit: Callable[[], Awaitable[None]] | None,
    ) -> None:  # fmt: skip
        if previous is not None:
            await previous  # states and commits in batch order; a failure stops every later one
        await asyncio.gather(*sends)
        topic = self.settings.sla_state_topic
        await asyncio.gather(*counting_failures(await send_records(
            self.producer, topic, [(r.key, r.value) for r in state],
            self._keys, headers=[r.headers for r in state],
        ), self.metrics.produce_failures.labels(topic).inc))  # fmt: skip
        if commit is not None:
            await commit()

    def _count(self, out: Output, dead: list[Dead]) -> None:
        metrics = self.metrics
        for message, letter in dead:
            metrics.dead_letters.labels(message.topic, letter.reason_code.value).inc()
        for event in out.emitted:
            metrics.emitted(event)
            if event.change.due_at is not None:
                metrics.timer_lag.observe((event.occurred_at - event.change.due_at).total_seconds())
        metrics.changed_books(out.changed)
        for url, body, event_id in out.webhooks:
            task = asyncio.create_task(self._webhook(url, body, event_id))
            self._hooks.add(task)
            task.add_done_callback(self._hooks.discard)

    async def _webhook(self, url: str, body: bytes, event_id: str) -> None:
        delivered = await webhooks.deliver(url, body, event_id)
        self.metrics.webhooks.labels("delivered" if delivered else "failed").inc()


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: Worker, consumer: AIOKafkaConsumer) -> None:
        self.worker = worker
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        topic = self.worker.settings.sla_triaged_topic
        await self.worker.revoked({tp.partition for tp in revoked if tp.topic == topic})

    async def on_partitions_assigned(self, assigned: Any) -> None:
        group = self.worker.settings.sla_app_id
        consumer_metrics(self.worker.metrics.registry).rebalanced(group)
        topic = self.worker.settings.sla_triaged_topic
        await self.worker.assigned(
            {tp.partition for tp in assigned if tp.topic == topic},
            await _catch_up(self.consumer, set(assigned), 2 * self.worker.settings.sla_batch_size),
        )


async def _catch_up(
    consumer: AIOKafkaConsumer, assigned: set[Any], in_flight: int
) -> dict[tuple[str, int], int]:
    """Per assigned partition with records past its committed offset: the offset up to which
    the previous owner may have announced effects (committed + ``in_flight`` records, at most
    the end)."""
    if not assigned:
        return {}
    ends = await consumer.end_offsets(list(assigned))
    starts = await consumer.beginning_offsets(list(assigned))
    out: dict[tuple[str, int], int] = {}
    for tp in assigned:
        committed = await consumer.committed(tp)
        start = starts[tp] if committed is None else committed
        target = min(ends[tp], start + in_flight)
        if target > start:
            out[(tp.topic, tp.partition)] = target
    return out


async def serve(settings: SlaSettings) -> None:
    """Run until SIGINT/SIGTERM: consume, apply, publish, commit; fire timers."""
    policy = load(settings)
    registry = new_registry()
    metrics = SlaMetrics(registry)
    worker = Worker(settings, policy, metrics)
    ops = await start_ops_server(settings.metrics_host, settings.sla_metrics_port, registry)
    await worker.producer.start()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.sla_app_id,
        client_id=settings.sla_app_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.sla_batch_size,
        # The broker answers a fetch once 64 KB wait or the batch window ends: fewer, fuller
        # fetches at moderate rates (each costs both sides CPU), none slower than the window.
        fetch_min_bytes=64 * 1024,
        fetch_max_wait_ms=max(1, int(settings.sla_batch_seconds * 1000)),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    timers = None
    try:
        await check_partitions(worker.producer, settings.sla_state_topic, worker.codecs)
        consumer.subscribe(list(worker.codecs), listener=_Rebalance(worker, consumer))
        committed: dict[tuple[str, int], int] = {}
        aiokafka_lag(consumer, settings.sla_app_id, registry, committed=lambda: committed)
        counted = consumer_metrics(registry)
        counted.watch(settings.sla_app_id)
        await consumer.start()
        heap.settle()
        timers = asyncio.create_task(_timer_loop(worker, settings.sla_timer_interval, stop))
        log.info("sla started", extra={"inputs": list(worker.codecs), "group": settings.sla_app_id,
                                       "state": settings.sla_state_topic})  # fmt: skip
        while not stop.is_set():
            if timers.done():
                timers.result()  # a failed timer round: raise it here (see _timer_loop)
            generation = worker.generation
            messages, offsets = await _take(consumer, settings, stop)
            if messages:
                commit = partial(_commit, consumer, offsets, committed, partial(
                    counted.committing, settings.sla_app_id))  # fmt: skip
                with counted.processing(settings.sla_app_id):
                    if not await worker.apply_messages(messages, commit, generation):
                        rewind(consumer, messages)
        await worker.settled()
    finally:
        if timers is not None:
            timers.cancel()
        await consumer.stop()
        await worker.producer.stop()
        await ops.cleanup()


async def _take(
    consumer: AIOKafkaConsumer, settings: SlaSettings, stop: asyncio.Event
) -> tuple[list[Any], dict[Any, int]]:
    """One batch (:func:`services.plumbing.polling.gather`) and the offsets to commit after it."""
    window = settings.sla_batch_seconds
    polled = await gather(
        consumer, size=settings.sla_batch_size, window_s=window, wait_s=window, stop=stop
    )
    messages = [m for records in polled.values() for m in records]
    offsets = {tp: records[-1].offset + 1 for tp, records in polled.items() if records}
    return messages, offsets


def rewind(consumer: AIOKafkaConsumer, messages: Iterable[Any]) -> None:
    """Fetch the dropped ``messages`` again, in each partition still assigned: from the first
    offset of each. The rebalance reset those partitions to their committed offsets, but the
    records of a batch may also have been fetched after it, from the reset position (the
    generation was taken before the poll that spanned it): without a rewind they would be
    behind the consumer's position, and the next commit would skip them for good."""
    first: dict[TopicPartition, int] = {}
    for m in messages:
        first.setdefault(TopicPartition(m.topic, m.partition), m.offset)
    mine = consumer.assignment()
    for tp, offset in first.items():
        if tp in mine:
            consumer.seek(tp, offset)


async def _commit(
    consumer: AIOKafkaConsumer,
    offsets: dict[Any, int],
    committed: dict[tuple[str, int], int],
    timed: Callable[[], Any],
) -> None:
    mine = consumer.assignment()
    offsets = {tp: at for tp, at in offsets.items() if tp in mine}
    if not offsets:  # (an empty mapping must never reach commit(): None means "all consumed")
        return
    try:
        with timed():
            await consumer.commit(offsets)
        committed.update({(tp.topic, tp.partition): at for tp, at in offsets.items()})
    except (CommitFailedError, KafkaError) as exc:  # a rebalance took them: replayed, same ids
        log.warning("offset commit failed", extra={"reason": str(exc)[:200]})


async def _timer_loop(worker: Worker, interval: float, stop: asyncio.Event) -> None:
    """Fire what is due every ``interval``. A round that cannot publish ends the worker: its
    memory then holds changes Kafka does not, and a restart rebuilds from what Kafka holds."""
    while not stop.is_set():
        await asyncio.sleep(interval)
        await worker.fire_due()


def run(settings: SlaSettings) -> int:
    """Serve until stopped; 1 when Kafka failed under it (the state is rebuilt on restart)."""
    try:
        asyncio.run(serve(settings))
    except KafkaError as exc:
        log.error("sla stopped: Kafka failed; restart to recover from the topics",
                  extra={"reason": f"{type(exc).__name__}: {exc}"[:300]})  # fmt: skip
        return 1
    return 0


def _by_dlq(
    dead: Iterable[Dead], settings: SlaSettings
) -> dict[str, list[tuple[bytes | None, bytes | None]]]:
    out: dict[str, list[tuple[bytes | None, bytes | None]]] = {}
    for message, letter in dead:
        out.setdefault(settings.dlq(message.topic), []).append(
            (message.key, DEAD_LETTERS.encode(letter))
        )
    return out


def _key_of(item: Input) -> str | None:
    if item is None:
        return None
    tweet = getattr(item, "tweet", None)
    return tweet.case_key if tweet is not None else getattr(item, "case_key", None)
