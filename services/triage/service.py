"""The triage faust application: ``tweets.raw`` in batches to ``tweets.triaged``.

A thin adapter: batching, sending and the reload timer (configuration, and the model when
``TWEETCARE_TRIAGE_MODEL`` is a models directory) live here; deciding lives in
:mod:`services.triage.batch` and below.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import faust
from aiokafka import AIOKafkaProducer

from services.plumbing import heap
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.consumer_metrics import faust_consumer_metrics
from services.plumbing.faust_app import Fetching, add_ops_pages, make_app
from services.plumbing.lag import faust_lag
from services.plumbing.metrics import new_registry
from services.plumbing.publisher import (
    CachingPartitioner,
    counting_failures,
    make_producer,
    send_records,
)
from services.plumbing.records import Record
from services.triage.batch import triage_messages
from services.triage.config_file import ConfigFile
from services.triage.enrich import model_version
from services.triage.metrics import TriageMetrics
from services.triage.settings import TriageSettings
from services.triage.versions import ModelWatch

log = logging.getLogger("tweetcare.triage")


def build_app(settings: TriageSettings, clock: Clock = SYSTEM_CLOCK) -> faust.App:
    """The faust app with its agent, reload timer and ops pages; "now" comes from ``clock``."""
    app = make_app(
        settings.triage_app_id,
        settings,
        web_port=settings.triage_metrics_port,
        # Batches of a thousand go out at once: let the producer fill large requests.
        producer_linger_ms=5,
        producer_max_batch_size=1024 * 1024,
        stream_buffer_maxsize=max(4096, settings.triage_batch_size * 4),
        fetching=Fetching(settings.triage_fetch_min_bytes, settings.triage_fetch_max_wait_ms),
    )
    registry = new_registry()
    metrics = TriageMetrics(registry)
    add_ops_pages(app, registry)
    faust_lag(app, registry)
    consumers = faust_consumer_metrics(app, registry)
    group = settings.triage_app_id
    config = ConfigFile(settings.triage_config)
    models = ModelWatch(settings.triage_model)  # a model, or a models directory it follows
    metrics.set_model(model_version(models.current))
    source = app.topic(settings.triage_in_topic)
    triaged, dead = settings.triage_out_topic, settings.dlq_topic
    producers: list[AIOKafkaProducer] = []  # made on the first batch: it needs the running loop
    keys = CachingPartitioner()

    @app.agent(source)
    async def triage(stream: Any) -> AsyncIterator[None]:
        async for events in stream.take_events(
            settings.triage_batch_size, within=settings.triage_batch_seconds
        ):
            with consumers.processing(group):
                consumed = [Record.of(e.message) for e in events]
                outgoing = triage_messages(
                    consumed, config.current, models.current, metrics, clock.now()
                )
                if not producers:
                    producers.append(make_producer(settings, client_id=settings.triage_app_id))
                    await producers[0].start()
                producer = producers[0]
                # One record batch per partition, delivered before faust acknowledges the offsets.
                await asyncio.gather(
                    *counting_failures(await send_records(
                        producer, triaged, [(o.key, o.value) for o in outgoing if not o.dead], keys
                    ), metrics.produce_failures.labels(triaged).inc),
                    *counting_failures(await send_records(
                        producer, dead, [(o.key, o.value) for o in outgoing if o.dead], keys
                    ), metrics.produce_failures.labels(dead).inc),
                )  # fmt: skip
            sent_at = clock.now()
            for item in outgoing:
                if item.received_at is not None:
                    metrics.latency.observe((sent_at - item.received_at).total_seconds())
            yield None

    @app.timer(interval=settings.triage_config_check_seconds)  # type: ignore[untyped-decorator]
    async def reload_config() -> None:
        result = config.check()
        if result is not None:
            metrics.config_reloads.labels(result).inc()
        # Loading a model takes a second or more: off the loop, so batches keep flowing; the
        # switch is one reference assignment, and a batch in flight keeps the model it took.
        switched = await asyncio.to_thread(models.check)
        if switched is not None:
            metrics.model_reloads.labels(switched).inc()
            metrics.set_model(model_version(models.current))

    @app.task  # type: ignore[untyped-decorator]
    async def started() -> None:
        # What exists now (modules, the model, faust's machinery) lives as long as the worker;
        # frozen, it is no longer rescanned by every full collection, which each batch's many
        # short-lived objects trigger (about a fifth of the decision time, measured).
        heap.settle()
        log.info(
            "triage started",
            extra={
                "in": settings.triage_in_topic,
                "out": settings.triage_out_topic,
                "model": model_version(models.current),
                "config": str(settings.triage_config or "built-in defaults"),
                "batch": settings.triage_batch_size,
            },
        )

    del triage, reload_config, started
    return app
