"""The API in the test's own process, on the real Elasticsearch under a throwaway index prefix:
``create_app`` over the service's own shared state, spoken to through ``httpx``'s ASGI
transport. Actions are recorded, not sent (these tests are about what the API refuses)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
from elasticsearch import AsyncElasticsearch
from fastapi import FastAPI

from services.api.app import create_app
from services.api.live.feed import LiveFeed
from services.api.readmodel.indices import ensure_indices
from services.api.service import build_state
from services.api.settings import ApiSettings
from services.api.state import Shared
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.contracts.actions import AgentAction, Role

ES_URL = "http://127.0.0.1:9200"


@dataclass
class Api:
    app: FastAPI
    state: Shared
    sent: list[AgentAction] = field(default_factory=list)

    async def token(self, role: str, name: str = "tester") -> str:
        token, _ = await self.state.tokens.create(name, Role(role))
        return token

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url="http://api", headers=headers)


@asynccontextmanager
async def running_api(
    es_url: str = ES_URL, clock: Clock = SYSTEM_CLOCK, **settings: Any
) -> AsyncIterator[Api]:
    """The API over ``<random prefix>-*`` indices, deleted afterwards (templates too)."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    config = ApiSettings(es_url=es_url, es_index_prefix=prefix, api_token_cache_s=0, **settings)
    es = AsyncElasticsearch(es_url, request_timeout=10)
    state = build_state(config, es, cast(Any, None), LiveFeed(config.api_live_buffer), clock)
    api = Api(create_app(state), state)

    async def record(action: AgentAction) -> None:
        api.sent.append(action)

    state.send_action = record
    try:
        if es_url == ES_URL:  # as the service's indexer does when it starts
            await ensure_indices(es, prefix)
        yield api
    finally:
        if es_url == ES_URL:
            await es.options(ignore_status=404).indices.delete(index=f"{prefix}-*")
            await es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-*")
        await es.close()
