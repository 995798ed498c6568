"""What the routes share: clients, stores, the live feed, metrics — one object on ``app.state``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from elasticsearch import AsyncElasticsearch
from fastapi import Request
from prometheus_client import CollectorRegistry

from services.api.limits import ExportSlots, RateLimiter
from services.api.live.feed import LiveFeed
from services.api.metrics import ApiMetrics
from services.api.settings import ApiSettings
from services.api.stored import DocStore
from services.api.tokens import TokenStore
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.contracts.actions import AgentAction
from services.plumbing.contracts.cases import Case


@dataclass
class Shared:
    settings: ApiSettings
    es: AsyncElasticsearch
    tokens: TokenStore
    canned: DocStore
    saved: DocStore
    feed: LiveFeed
    registry: CollectorRegistry
    metrics: ApiMetrics
    send_action: Callable[[AgentAction], Awaitable[None]]
    load_case: Callable[[str], Awaitable[Case | None]]
    kafka_ready: Callable[[], Awaitable[bool]]
    limiter: RateLimiter
    exports: ExportSlots
    secret: bytes
    """Signs cursors and stream tickets."""
    clock: Clock = SYSTEM_CLOCK

    @property
    def prefix(self) -> str:
        return self.settings.es_index_prefix


def shared(request: Request) -> Shared:
    """The dependency giving a route the shared state."""
    state: Shared = request.app.state.shared
    return state
