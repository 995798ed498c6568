"""`tweetcare ingest run`: X (or, without a token, the generated stream) into ``tweets.raw``, and
the outbox (X, or the local sandbox) out of ``outbox.replies``.

Every source goes through one duplicate window (:class:`~services.ingest.bridge.Gate`). The X
sources block (tweepy): the filtered stream and the pollers run in threads
(:mod:`services.ingest.live`) and hand their events to the loop through
:class:`~services.ingest.bridge.ThreadSink`. Several replicas can run: only the holder of the
lease (:mod:`services.ingest.lease`) reads X, from cursors kept on a compacted topic; every replica
posts the replies of its share of ``outbox.replies``, through a ledger on a compacted topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import time
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from services.ingest.brands import BrandMap
from services.ingest.bridge import Gate, ThreadSink
from services.ingest.compacted import CompactedTopic, SharedStateError
from services.ingest.dedupe import Admission, SeenWindow
from services.ingest.generator import generate
from services.ingest.lease import Lease, keep_lease
from services.ingest.live import LiveConfig, LiveSources
from services.ingest.metrics import IngestMetrics
from services.ingest.outbox_loop import CONSUMER as OUTBOX_GROUP
from services.ingest.outbox_loop import HandOver, run_outbox
from services.ingest.pacing import Pacing
from services.ingest.recall import recent_events
from services.ingest.replay import replay
from services.ingest.replay_plan import plan_stream
from services.ingest.sandbox import sandbox_accounts
from services.ingest.settings import IngestServiceSettings
from services.ingest.state_dir import ensure_writable
from services.ingest.xapi.client import ApiCalls, XApi
from services.ingest.xapi.cost import CostMeter
from services.ingest.xapi.cursor_topic import TopicCursors
from services.ingest.xapi.cursors import CursorStore
from services.ingest.xapi.ledger_topic import TopicLedger
from services.ingest.xapi.outbox import Outbox, ReplyLedger
from services.ingest.xapi.rules import brand_rules
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.consumer_metrics import consumer_metrics
from services.plumbing.lag import aiokafka_lag
from services.plumbing.loops import keep_running
from services.plumbing.metrics import new_registry
from services.plumbing.ops_server import start_ops_server
from services.plumbing.publisher import make_producer
from services.plumbing.settings import SettingsError

log = logging.getLogger("tweetcare.ingest")


async def serve(
    settings: IngestServiceSettings, *, generated: bool = True, clock: Clock = SYSTEM_CLOCK
) -> None:
    """Run until SIGINT/SIGTERM; every "now" comes from ``clock``. Refuses to start
    (:class:`~services.plumbing.settings.SettingsError`) when the state directory is not
    writable or a shared-state topic is missing."""
    ensure_writable(settings.x_state_dir, settings.ledger_file, settings.cursor_file)
    registry = new_registry()
    metrics = IngestMetrics(registry)
    ops = await start_ops_server(settings.metrics_host, settings.ingest_metrics_port, registry)
    producer = make_producer(settings, client_id="tweetcare-ingest")
    await producer.start()
    admission = Admission(settings.ingest_retweets, SeenWindow(settings.ingest_dedupe_window))
    gate = Gate(producer, admission, metrics, clock, topic=settings.ingest_tweets_topic)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    calls = ApiCalls()
    cost = CostMeter(settings.prices(), settings.budget())
    token = settings.x_bearer_token
    connection = settings.connection(calls, clock=clock, sleep=time.sleep)
    apis: dict[str, Any]
    if token is None:
        apis = dict(sandbox_accounts(clock))
        log.info("no X token: generated stream and sandbox outbox", extra={"generated": generated})
    else:
        apis = {
            h: XApi(t.get_secret_value(), connection) for h, t in settings.x_user_tokens.items()
        }
    ledger_topic = await asyncio.to_thread(
        _shared, settings, settings.ingest_ledger_topic, "tweetcare-ingest-ledger"
    )
    # No recovery at start: a reply left "attempting" may be another replica's, still posting;
    # it is resolved when its record is delivered again (services/ingest/xapi/ledger_topic.py).
    ledger = await asyncio.to_thread(TopicLedger, ledger_topic)
    if settings.ledger_file.exists():  # kept there before the ledger moved to Kafka
        old = await asyncio.to_thread(ReplyLedger, settings.ledger_file)
        adopted = await asyncio.to_thread(ledger.adopt, old.entries())
        log.info("file ledger adopted", extra={"file": str(settings.ledger_file), "new": adopted})
    outbox = Outbox(apis, ledger, clock=clock, cost=cost)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=settings.ingest_outbox_group,
        enable_auto_commit=False, auto_offset_reset="earliest", client_id=OUTBOX_GROUP,
        **_membership(settings),
    )  # fmt: skip
    consumers = consumer_metrics(registry)
    consumers.watch(OUTBOX_GROUP)
    busy = asyncio.Lock()  # a batch of replies in hand: its partitions are not given up
    consumer.subscribe(
        [settings.ingest_replies_topic], listener=HandOver(consumers, OUTBOX_GROUP, busy)
    )
    await consumer.start()
    aiokafka_lag(consumer, OUTBOX_GROUP, registry)

    def posting() -> Coroutine[Any, Any, None]:
        return run_outbox(
            consumer, producer, outbox, metrics, stop, on_echo=gate.remember, clock=clock,
            results_topic=settings.ingest_results_topic, tweets_topic=settings.ingest_tweets_topic,
            busy=busy,
        )  # fmt: skip

    term = _Term(settings, gate, admission, clock, stop, generated=generated)
    if token is not None:
        cursors_topic = await asyncio.to_thread(
            _shared, settings, settings.ingest_cursors_topic, "tweetcare-ingest-cursors"
        )
        if settings.cursor_file.exists():  # kept there before the cursors moved to Kafka
            await asyncio.to_thread(_adopt_cursors, cursors_topic, settings.cursor_file)
        brands = BrandMap.from_pairs(settings.ingest_brands)
        config = LiveConfig(
            token.get_secret_value(), connection, brands, brand_rules(brands, settings.x_keywords),
            apis, settings.x_poll_interval_s, settings.x_page_size,
        )  # fmt: skip
        term.live = LiveSources(
            config, ThreadSink(gate, loop), lambda: TopicCursors(cursors_topic), cost=cost,
            metrics=metrics, clock=clock,
        )  # fmt: skip
    lease_group = settings.ingest_lease_group
    consumers.watch(lease_group)
    lease = Lease(
        settings.ingest_lease_topic, term.begin, term.end, metrics.lease_held.set,
        functools.partial(consumers.rebalanced, lease_group),
    )  # fmt: skip
    lease_consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=lease_group,
        enable_auto_commit=False, client_id=lease_group, **_membership(settings),
    )  # fmt: skip
    lease_consumer.subscribe([settings.ingest_lease_topic], listener=lease)
    await lease_consumer.start()
    tasks = [
        asyncio.create_task(keep_running("outbox", posting, stop)),
        asyncio.create_task(keep_running("lease", lambda: keep_lease(lease_consumer, stop), stop)),
        asyncio.create_task(_refresh_metrics(metrics, admission, calls, cost, clock, stop)),
    ]
    try:
        await stop.wait()
    finally:
        await lease.release()  # the sources stop before the group is left
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await lease_consumer.stop()
        await consumer.stop()
        await producer.stop()
        await ops.cleanup()
        ledger_topic.close()


def _shared(settings: IngestServiceSettings, topic: str, client_id: str) -> CompactedTopic:
    try:
        return CompactedTopic(settings.kafka_bootstrap, topic, client_id=client_id)
    except SharedStateError as exc:
        raise SettingsError(f"{exc} (ingest keeps the state its replicas share there)") from exc


def _adopt_cursors(topic: CompactedTopic, path: Path) -> None:
    adopted = TopicCursors(topic).adopt(CursorStore(path).items())
    log.info("cursor file adopted", extra={"file": str(path), "new": adopted})


def _membership(settings: IngestServiceSettings) -> dict[str, int]:
    """How soon a replica that stopped heartbeating loses its partitions (and the lease), and how
    long a rebalance waits for one finishing its batch in hand (the outbox's :class:`HandOver`;
    aiokafka's default is the session timeout, shorter than a batch of posts may take)."""
    session = settings.ingest_session_timeout_ms
    return {
        "session_timeout_ms": session,
        "heartbeat_interval_ms": max(100, session // 4),
        "rebalance_timeout_ms": max(session, settings.ingest_rebalance_timeout_ms),
    }


class _Term:
    """What this replica does while it holds the lease: read the recent ``tweets.raw`` into the
    duplicate window, then run the X sources (``live``) or, without a token, the generated
    stream. A start that keeps failing stops the replica, so the lease moves to another."""

    def __init__(
        self, settings: IngestServiceSettings, gate: Gate, admission: Admission, clock: Clock,
        stop: asyncio.Event, *, generated: bool,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.gate = gate
        self.admission = admission
        self.clock = clock
        self.stop = stop
        self.generated = generated
        self.live: LiveSources | None = None
        self._task: asyncio.Task[None] | None = None

    async def begin(self) -> None:
        s = self.settings
        for attempt in range(3):
            try:
                recent = await asyncio.to_thread(
                    recent_events, s.kafka_bootstrap, s.ingest_tweets_topic,
                    now=self.clock.now(), lookback=timedelta(seconds=s.ingest_dedupe_lookback_s),
                )  # fmt: skip
                self.admission.confirm(recent)
                if self.live is not None:
                    await asyncio.to_thread(self.live.start)
                elif self.generated:
                    self._task = asyncio.create_task(
                        _generated(s, self.gate, self.admission, self.clock)
                    )
                log.info("reading X from the shared cursors", extra={"recalled": len(recent)})
                return
            except Exception:
                log.exception("could not start the sources", extra={"attempt": attempt + 1})
                await asyncio.sleep(2.0)
        log.error("the sources would not start: stopping, so another replica takes the lease")
        self.stop.set()

    async def end(self) -> None:
        if self.live is not None:
            await asyncio.to_thread(self.live.stop)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None


async def _generated(
    settings: IngestServiceSettings, gate: Gate, admission: Admission, clock: Clock
) -> None:
    start = clock.now()
    seed = (
        settings.ingest_generate_seed
        if settings.ingest_generate_seed is not None
        else int(start.timestamp())
    )
    items = plan_stream(
        generate(seed, start, tweets_per_minute=settings.ingest_generate_per_minute),
        Pacing.parse("1", None), start,
    )  # fmt: skip
    await replay(items, gate, admission)


async def _refresh_metrics(
    metrics: IngestMetrics, admission: Admission, calls: ApiCalls, cost: CostMeter, clock: Clock,
    stop: asyncio.Event,
) -> None:  # fmt: skip
    paused = False
    while not stop.is_set():
        now = clock.now()
        for verdict, count in admission.counts.items():
            if verdict.value != "publish":
                metrics.held_back.labels(verdict.value).set(count)
        for endpoint, count in calls.by_endpoint.items():
            metrics.api_calls.labels(endpoint).set(count)
        for endpoint, count in calls.rate_limit_waits.items():
            metrics.rate_limit_waits.labels(endpoint).set(count)
        metrics.spend.set(float(cost.spend(now)))
        pause = cost.pause_optional_polling(now)
        if pause != paused:
            paused = pause
            log.warning(
                "keyword search paused: the monthly read budget is nearly spent" if pause
                else "keyword search resumed", extra={"spend_usd": float(cost.spend(now))},
            )  # fmt: skip
        metrics.budget_paused.set(1 if pause else 0)
        await asyncio.sleep(1.0)


def run(settings: IngestServiceSettings, *, generated: bool = True) -> int:
    asyncio.run(serve(settings, generated=generated))
    return 0
