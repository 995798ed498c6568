"""`tweetcare api run`: the indexer, the live feed and the HTTP server in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

import uvicorn
from aiokafka import AIOKafkaProducer
from elasticsearch import AsyncElasticsearch
from elasticsearch.serializer import OrjsonSerializer

from services.api.app import create_app
from services.api.cases.service import indexed_case
from services.api.limits import ExportSlots, RateLimiter
from services.api.live.feed import LiveFeed, follow
from services.api.metrics import ApiMetrics
from services.api.readmodel.indices import CANNED, SAVED_SEARCHES
from services.api.settings import ApiSettings
from services.api.state import Shared
from services.api.stored import DocStore
from services.api.tokens import TokenStore
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.contracts.actions import AgentAction
from services.plumbing.contracts.cases import Case
from services.plumbing.contracts.codecs import AGENT_ACTIONS
from services.plumbing.loops import keep_running
from services.plumbing.metrics import new_registry
from services.plumbing.publisher import make_producer

log = logging.getLogger("tweetcare.api")


def build_state(settings: ApiSettings, es: AsyncElasticsearch, producer: AIOKafkaProducer,
                feed: LiveFeed, clock: Clock = SYSTEM_CLOCK) -> Shared:  # fmt: skip
    """The shared state of a running service; every "now" of it comes from ``clock``."""
    registry = new_registry()
    prefix = settings.es_index_prefix

    async def send_action(action: AgentAction) -> None:
        await producer.send_and_wait(
            settings.api_actions_topic,
            value=AGENT_ACTIONS.encode(action),
            key=action.case_key.encode(),
        )

    async def case_by_id(case_id: str) -> Case | None:
        indexed = await indexed_case(es, prefix, case_id)
        live = feed.latest(case_id)
        if live is not None and (indexed is None or live.case_version >= indexed[0]):
            return live.case
        return indexed[1] if indexed is not None else None

    async def kafka_ready() -> bool:
        try:
            await asyncio.wait_for(producer.client.fetch_all_metadata(), 3)
        except Exception:  # any failure means not ready
            return False
        return True

    return Shared(
        settings=settings, es=es,
        tokens=TokenStore(es, prefix, cache_s=settings.api_token_cache_s, clock=clock),
        canned=DocStore(es, prefix, CANNED, clock=clock),
        saved=DocStore(es, prefix, SAVED_SEARCHES, clock=clock),
        feed=feed, registry=registry, metrics=ApiMetrics(registry), send_action=send_action,
        load_case=case_by_id, kafka_ready=kafka_ready, clock=clock,
        limiter=RateLimiter(settings.api_rate_per_s, settings.api_rate_burst),
        exports=ExportSlots(settings.api_exports_per_token),
        secret=(settings.api_secret.get_secret_value().encode() if settings.api_secret
                else secrets.token_bytes(32)),
    )  # fmt: skip


async def serve(settings: ApiSettings) -> None:
    """Run until SIGINT/SIGTERM: start Kafka and Elasticsearch clients, the live feed, the
    indexer, then the HTTP server; stop them in reverse order."""
    es = AsyncElasticsearch(settings.es_url, request_timeout=30, serializer=OrjsonSerializer())
    producer = make_producer(settings, client_id="tweetcare-api")
    await producer.start()
    feed = LiveFeed(settings.api_live_buffer)
    stop = asyncio.Event()
    ready = asyncio.Event()
    state = build_state(settings, es, producer, feed)
    tasks = [
        asyncio.create_task(
            keep_running(
                "live feed",
                lambda: follow(
                    feed, settings.kafka_bootstrap, settings.api_cases_topic, ready, stop
                ),
                stop,
            )
        )
    ]
    tasks.append(
        asyncio.create_task(
            keep_running("indexer", lambda: _index(settings, es, producer, state, stop), stop)
        )
    )
    await asyncio.wait_for(ready.wait(), 60)
    config = uvicorn.Config(
        create_app(state), host=settings.api_host, port=settings.api_port, log_config=None,
        access_log=False, lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    log.info("api listening", extra={"host": settings.api_host, "port": settings.api_port})
    try:
        await server.serve()
    finally:
        stop.set()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 10)
        await producer.stop()
        await es.close()


async def _index(settings: ApiSettings, es: AsyncElasticsearch, producer: AIOKafkaProducer,
                 state: Shared, stop: asyncio.Event) -> None:  # fmt: skip
    from services.api.readmodel.indexer import Indexer

    indexer = Indexer.for_service(settings, es, producer, state.metrics, state.registry)
    await indexer.run(stop)


def run(settings: ApiSettings) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings))
    return 0
