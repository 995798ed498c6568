"""`tweetcare ingest run`: X (or, without a token, the generated stream) into ``tweets.raw``, and
the outbox (X, or the local sandbox) out of ``outbox.replies``.

Every source goes through one duplicate window (:class:`~services.ingest.bridge.Gate`). The X
sources block (tweepy): the filtered stream and the pollers run in threads and hand their
events to the loop through :class:`~services.ingest.bridge.ThreadSink`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiokafka import AIOKafkaConsumer

from services.ingest.brands import BrandMap
from services.ingest.bridge import Gate, ThreadSink
from services.ingest.dedupe import Admission, SeenWindow
from services.ingest.generator import generate
from services.ingest.metrics import IngestMetrics
from services.ingest.outbox_loop import CONSUMER as OUTBOX_GROUP
from services.ingest.outbox_loop import run_outbox
from services.ingest.pacing import Pacing
from services.ingest.replay import replay
from services.ingest.replay_plan import plan_stream
from services.ingest.sandbox import sandbox_accounts
from services.ingest.settings import IngestServiceSettings
from services.ingest.state_dir import ensure_writable
from services.ingest.xapi.client import ApiCalls, XApi, XApiError
from services.ingest.xapi.cost import CostMeter
from services.ingest.xapi.cursors import CursorStore
from services.ingest.xapi.outbox import Outbox, ReplyLedger
from services.ingest.xapi.polling import Poller, resolve_user_ids
from services.ingest.xapi.rules import brand_rules
from services.ingest.xapi.stream import StreamConsumer
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.consumer_metrics import CountedRebalances, consumer_metrics
from services.plumbing.contracts.codecs import OUTBOX_RESULTS
from services.plumbing.lag import aiokafka_lag
from services.plumbing.loops import keep_running
from services.plumbing.metrics import new_registry
from services.plumbing.ops_server import start_ops_server
from services.plumbing.publisher import make_producer

log = logging.getLogger("tweetcare.ingest")


async def serve(
    settings: IngestServiceSettings, *, generated: bool = True, clock: Clock = SYSTEM_CLOCK
) -> None:
    """Run until SIGINT/SIGTERM; every "now" comes from ``clock``. Refuses to start
    (:class:`~services.plumbing.settings.SettingsError`) when the state directory is not
    writable."""
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
    outbox = Outbox(apis, ReplyLedger(settings.ledger_file), clock=clock, cost=cost)
    for result in outbox.recover():
        await producer.send_and_wait(
            settings.ingest_results_topic, OUTBOX_RESULTS.encode(result),
            key=result.case_key.encode(),
        )  # fmt: skip
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=OUTBOX_GROUP,
        enable_auto_commit=False, auto_offset_reset="earliest", client_id=OUTBOX_GROUP,
    )  # fmt: skip
    consumers = consumer_metrics(registry)
    consumers.watch(OUTBOX_GROUP)
    consumer.subscribe(
        [settings.ingest_replies_topic], listener=CountedRebalances(consumers, OUTBOX_GROUP)
    )
    await consumer.start()
    aiokafka_lag(consumer, OUTBOX_GROUP, registry)

    def posting() -> Coroutine[Any, Any, None]:
        return run_outbox(
            consumer, producer, outbox, metrics, stop, on_echo=gate.remember, clock=clock,
            results_topic=settings.ingest_results_topic, tweets_topic=settings.ingest_tweets_topic,
        )  # fmt: skip

    tasks = [
        asyncio.create_task(keep_running("outbox", posting, stop)),
        asyncio.create_task(_refresh_metrics(metrics, admission, calls, cost, clock, stop)),
    ]
    threads: list[threading.Thread] = []
    halt = threading.Event()
    if token is not None:
        sink = ThreadSink(gate, loop)
        threads = _live(
            settings, token.get_secret_value(), connection, sink, cost, apis, halt, metrics, clock
        )
    elif generated:
        tasks.append(asyncio.create_task(_generated(settings, gate, admission, clock)))
    try:
        await stop.wait()
    finally:
        halt.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await consumer.stop()
        await producer.stop()
        await ops.cleanup()
        for thread in threads:
            thread.join(timeout=5)


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


def _live(
    settings: IngestServiceSettings, token: str, connection: Any, sink: ThreadSink,
    cost: CostMeter, apis: dict[str, Any], halt: threading.Event, metrics: IngestMetrics,
    clock: Clock,
) -> list[threading.Thread]:  # fmt: skip
    brands = BrandMap.from_pairs(settings.ingest_brands)
    rules = brand_rules(brands, settings.x_keywords)
    reader = XApi(token, connection)
    stream = StreamConsumer(
        token, connection, brands, sink, clock=clock, sleep=time.sleep, cost=cost
    )
    poller = Poller(reader, brands, CursorStore(settings.cursor_file), sink, clock=clock,
                    cost=cost, page_size=settings.x_page_size)  # fmt: skip

    def streaming() -> None:
        stream.sync_rules(rules)
        while not halt.is_set():
            _guard("stream", stream.run, metrics, halt)

    def polling() -> None:
        user_ids: dict[str, str] = {}
        while not halt.is_set():
            if not user_ids:
                user_ids = _guard("users", lambda: resolve_user_ids(reader, list(brands.handles)),
                                  metrics, halt) or {}  # fmt: skip
            if user_ids:
                _guard("poll", functools.partial(poller.poll_all, dict(user_ids), rules, apis),
                       metrics, halt)  # fmt: skip
            halt.wait(settings.x_poll_interval_s)

    def stopper() -> None:
        halt.wait()
        stream.stop()

    threads = [
        threading.Thread(target=f, name=f.__name__, daemon=True)
        for f in (streaming, polling, stopper)
    ]
    for thread in threads:
        thread.start()
    return threads


def _guard(
    what: str, work: Callable[[], Any], metrics: IngestMetrics, halt: threading.Event
) -> Any:
    """Run one round of a source; an error is logged and counted, then waited out (never fatal)."""
    try:
        return work()
    except XApiError as exc:
        metrics.api_errors.labels(what, exc.code).inc()
        log.warning("X call failed", extra={"source": what, "code": exc.code, "detail": exc.detail})
    except Exception as exc:
        metrics.api_errors.labels(what, type(exc).__name__).inc()
        log.exception("source failed", extra={"source": what})
    halt.wait(5.0)
    return None


def run(settings: IngestServiceSettings, *, generated: bool = True) -> int:
    asyncio.run(serve(settings, generated=generated))
    return 0
