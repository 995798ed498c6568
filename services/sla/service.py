"""The SLA faust application: the one writer of case state.

Tweets, agent actions and outbox results (all keyed by case key, so one partition and one worker
own a case) are applied by pure code (:mod:`services.sla.dispatch`) to the case key's book, kept
in a changelog-backed table. Due times live in a heap rebuilt from the table whenever partitions
are recovered; a timer loop sends a tick for each due key through ``sla.ticks`` (keyed the same
way), so firing happens inside the stream like every other change, and a restart fires whatever
fell due while the worker was down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import faust
import httpx
import orjson

from services.plumbing.contracts.codecs import (
    AGENT_ACTIONS,
    CASES_EVENTS,
    DEAD_LETTERS,
    OUTBOX_REPLIES,
    OUTBOX_RESULTS,
    TWEETS_TRIAGED,
    Codec,
    dead_letter,
)
from services.plumbing.contracts.deadletter import DeadLetter
from services.plumbing.deadletters import decode_or_dead_letter
from services.plumbing.faust_app import add_ops_pages, make_app
from services.plumbing.metrics import new_registry
from services.sla.dispatch import Input, apply
from services.sla.due_heap import DueHeap
from services.sla.metrics import SlaMetrics
from services.sla.policies import Policy, PolicySpec, load_policy
from services.sla.settings import SlaSettings
from services.sla.storage import dump_book, load_book
from services.sla.ticks import next_due

log = logging.getLogger("tweetcare.sla")
CONSUMER = "tweetcare-sla"


def load(settings: SlaSettings) -> Policy:
    return (
        load_policy(settings.sla_policy.read_text())
        if settings.sla_policy
        else Policy(PolicySpec())
    )


def build_app(settings: SlaSettings) -> faust.App:
    policy = load(settings)
    app = make_app(
        settings.sla_app_id, settings, web_port=settings.sla_metrics_port,
        table_standby_replicas=0, stream_wait_empty=False,
    )  # fmt: skip
    registry = new_registry()
    metrics = SlaMetrics(registry)
    add_ops_pages(app, registry)
    cases = app.Table(
        "cases", default=None, partitions=settings.kafka_partitions,
        key_type=bytes, value_type=bytes,
    )  # fmt: skip
    codecs: dict[str, Codec[Any]] = {
        settings.sla_triaged_topic: TWEETS_TRIAGED,
        settings.sla_actions_topic: AGENT_ACTIONS,
        settings.sla_results_topic: OUTBOX_RESULTS,
    }
    source = app.topic(*codecs, settings.sla_ticks_topic)
    events_out = app.topic(settings.sla_events_topic)
    outbox_out = app.topic(settings.sla_outbox_topic)
    heap = DueHeap()
    hooks: set[asyncio.Task[None]] = set()

    def decode(message: Any, now: datetime) -> Input | DeadLetter:
        if message.topic == settings.sla_ticks_topic:
            try:
                orjson.loads(message.value)
            except (orjson.JSONDecodeError, TypeError) as exc:
                return dead_letter(exc, topic=message.topic, partition=message.partition,
                                   offset=message.offset, key=message.key, value=message.value,
                                   consumer=CONSUMER, now=now)  # fmt: skip
            return None
        decoded: Input | DeadLetter = decode_or_dead_letter(
            codecs[message.topic], topic=message.topic, key=message.key, value=message.value,
            partition=message.partition, offset=message.offset, consumer=CONSUMER, now=now,
        )  # fmt: skip
        return decoded

    @app.agent(source)
    async def sla(stream: Any) -> AsyncIterator[None]:
        async for event in stream.events():
            message = event.message
            now = datetime.now(UTC)
            item = decode(message, now)
            if isinstance(item, DeadLetter):
                await _dead(message, item)
                yield None
                continue
            key = message.key.decode() if message.key else _key_of(item)
            if key is None:
                yield None
                continue
            old = load_book(cases.get(key.encode()))
            try:
                step = apply(old, item, policy, now)
            except Exception as exc:  # a bad input must not stop the worker
                log.exception("input could not be applied", extra={"topic": message.topic})
                await _dead(message, dead_letter(
                    exc, topic=message.topic, partition=message.partition, offset=message.offset,
                    key=message.key, value=message.value, consumer=CONSUMER, now=now,
                ))  # fmt: skip
                yield None
                continue
            for out in step.events:
                await events_out.send(key=key.encode(), value=CASES_EVENTS.encode(out))
                metrics.emitted(out)
                if out.change.due_at is not None:
                    metrics.timer_lag.observe((now - out.change.due_at).total_seconds())
            for reply in step.outbox:
                await outbox_out.send(key=key.encode(), value=OUTBOX_REPLIES.encode(reply))
            if step.book != old:
                cases[key.encode()] = dump_book(step.book) if step.book else None
                metrics.changed(old, step.book)
            heap.schedule(key, next_due(step.book, policy))
            for url, fired in step.webhooks:
                task = asyncio.create_task(_webhook(url, CASES_EVENTS.encode(fired)))
                hooks.add(task)
                task.add_done_callback(hooks.discard)
            yield None

    async def _dead(message: Any, letter: DeadLetter) -> None:
        metrics.dead_letters.labels(message.topic, letter.reason_code.value).inc()
        await app.topic(settings.dlq(message.topic)).send(
            key=message.key, value=DEAD_LETTERS.encode(letter)
        )

    @app.timer(interval=settings.sla_timer_interval)  # type: ignore[untyped-decorator]
    async def timers() -> None:
        now = datetime.now(UTC)
        for key in heap.pop_due(now):
            await app.send(
                settings.sla_ticks_topic,
                key=key.encode(),
                value=orjson.dumps({"at": now.isoformat()}),
            )

    @cases.on_recover
    async def rebuild() -> None:
        started = datetime.now(UTC)
        heap.rebuild((k.decode(), next_due(load_book(v), policy)) for k, v in cases.items() if v)
        log.info(
            "timers rebuilt from the case table",
            extra={"keys": len(heap), "seconds": (datetime.now(UTC) - started).total_seconds()},
        )

    del sla, timers, rebuild
    return app


def _key_of(item: Input) -> str | None:
    if item is None:
        return None
    tweet = getattr(item, "tweet", None)
    return tweet.case_key if tweet is not None else getattr(item, "case_key", None)


async def _webhook(url: str, body: bytes) -> None:
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.post(
                url, content=body, headers={"Content-Type": "application/json"}
            )
            response.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("escalation webhook failed", extra={"url": url, "reason": str(exc)[:200]})
