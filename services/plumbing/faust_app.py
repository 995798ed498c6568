"""The one way tweetcare builds a faust application: raw bytes in and out, codecs do the rest.

Agents receive ``bytes`` and decode with the topic's codec themselves, so a malformed message
becomes a dead letter instead of an exception inside faust's deserializer.
"""

from __future__ import annotations

import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from prometheus_client import CollectorRegistry

from services.plumbing.metrics import CONTENT_TYPE_LATEST, exposition
from services.plumbing.settings import KafkaSettings


@dataclass(frozen=True)
class Fetching:
    """How the broker answers the app's consumer: with at least ``min_bytes`` of records, or
    whatever it has after ``max_wait_ms``. faust passes neither to aiokafka, whose default
    (one byte) makes the broker answer every fetch with the first record it has: at a few
    hundred tweets a second the triage worker then spent more CPU on fetch requests and their
    hand-over from faust's consumer thread than on triage (py-spy, whole pipeline at 300/s)."""

    min_bytes: int
    max_wait_ms: int


_FETCHING: weakref.WeakKeyDictionary[faust.App, Fetching] = weakref.WeakKeyDictionary()
_worker_consumer = faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer


def _create_worker_consumer(thread: Any, transport: Any) -> Any:
    """faust's consumer, with the app's :class:`Fetching` where it has one (set before the
    consumer starts: aiokafka builds its fetcher from these at start)."""
    consumer = _worker_consumer(thread, transport)
    fetching = _FETCHING.get(thread.app)
    if fetching is not None:
        consumer._fetch_min_bytes = fetching.min_bytes
        consumer._fetch_max_wait_ms = fetching.max_wait_ms
    return consumer


faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer = _create_worker_consumer  # type: ignore[method-assign, assignment]


def make_app(
    app_id: str,
    kafka: KafkaSettings,
    *,
    web_port: int | None = None,
    store: str = "memory://",
    fetching: Fetching | None = None,
    **overrides: Any,
) -> faust.App:
    """A faust app on ``kafka`` with tweetcare's defaults (acks=all, earliest offset, raw serde);
    ``fetching``, when given, is how its consumer fetches (else aiokafka's defaults)."""
    options: dict[str, Any] = {
        "broker": f"kafka://{kafka.kafka_bootstrap}",
        "store": store,
        "key_serializer": "raw",
        "value_serializer": "raw",
        "topic_partitions": kafka.kafka_partitions,
        "topic_replication_factor": kafka.kafka_replication,
        "consumer_auto_offset_reset": "earliest",
        # faust's default is 60 s: a killed worker's partitions would wait a minute before
        # another worker takes them; 10 s, as the SLA worker (aiokafka's default).
        "broker_session_timeout": 10.0,
        "producer_acks": -1,
        "web_enabled": web_port is not None,
        "web_port": web_port or 6066,
        "web_bind": kafka.metrics_host,
        # faust keeps a small data directory even with in-memory stores; never in the cwd, and
        # one per worker (several workers of one app on a machine: `demo --workers N`).
        "datadir": str(
            Path(tempfile.gettempdir()) / f"tweetcare-faust-{{conf.name}}-{web_port or 0}"
        ),
    }
    options.update(overrides)
    app = faust.App(app_id, **options)
    if fetching is not None:
        _FETCHING[app] = fetching
    return app


def add_ops_pages(app: faust.App, registry: CollectorRegistry) -> None:
    """Serve ``/metrics`` (Prometheus text) and ``/healthz`` on the worker's web port."""

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        # aiohttp refuses a charset inside content_type=, so the full header goes in headers.
        return web.bytes(exposition(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})


def json_logging_config(service: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config`` dict that sends every record to stderr as one JSON line."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "services.plumbing.logs.JsonFormatter", "service": service}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
    }


def run_worker(app: faust.App, service: str, level: str = "INFO") -> int:
    """Run ``app`` as a faust worker in this process, logging JSON lines; returns on shutdown."""
    worker = faust.Worker(
        app, loglevel=level, logging_config=json_logging_config(service, level), quiet=True
    )
    # faust's terminal spinner sets the root logger to DEBUG (to spin on every record), so every
    # debug call in faust and aiokafka built a record only to drop it: 7% of the SLA worker's time.
    worker.spinner = None
    worker.execute_from_commandline()
    return 0
