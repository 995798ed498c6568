"""The FastAPI application: each domain's routes over the shared state, errors, request metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from services.api import error_handlers
from services.api.admin import routes as admin
from services.api.apidocs import routes as apidocs
from services.api.brands import routes as brands
from services.api.cases import routes as cases
from services.api.console import routes as console
from services.api.limits import BodyLimit
from services.api.live import routes as live
from services.api.ops import routes as ops
from services.api.queues import routes as queues
from services.api.search import routes as search
from services.api.state import Shared
from services.api.stats import routes as stats

DESCRIPTION = """Agents' queues, cases and actions; search, export and statistics over the read
model; live updates. Every endpoint but `/healthz` and `/readyz` needs `Authorization: Bearer
<token>` (`tweetcare api token create`). Errors answer `{"error": {"code", "message"}}` with a
stable code."""


def create_app(state: Shared) -> FastAPI:
    # FastAPI's own /docs and /redoc load their scripts from a CDN: ours serve them from here.
    app = FastAPI(
        title="tweetcare API", version="1", description=DESCRIPTION, docs_url=None,
        redoc_url=None,
    )  # fmt: skip
    app.state.shared = state
    app.state.tokens = state.tokens
    error_handlers.install(app)
    for domain in (ops, live, admin, queues, cases, brands, search, stats, console):
        app.include_router(domain.router)
    if state.settings.api_docs:
        app.include_router(apidocs.router)

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.monotonic()
        response = await call_next(request)
        route = request.scope.get("route")
        name = getattr(route, "path", "unmatched")
        state.metrics.requests.labels(name, str(response.status_code)).inc()
        state.metrics.latency.labels(name).observe(time.monotonic() - started)
        return response

    app.add_middleware(BodyLimit, max_bytes=state.settings.api_max_body_bytes)
    return app
