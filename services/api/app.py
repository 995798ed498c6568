"""The FastAPI application: routes over the shared state, errors, request metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from services.api import (
    errors,
    routes_actions,
    routes_admin,
    routes_console,
    routes_live,
    routes_ops,
    routes_read,
)
from services.api.state import Shared

DESCRIPTION = """Agents' queues, cases and actions; search, export and statistics over the read
model; live updates. Every endpoint but `/healthz` and `/readyz` needs `Authorization: Bearer
<token>` (`tweetcare api token create`). Errors answer `{"error": {"code", "message"}}` with a
stable code."""


def create_app(state: Shared) -> FastAPI:
    app = FastAPI(title="tweetcare API", version="1", description=DESCRIPTION)
    app.state.shared = state
    app.state.tokens = state.tokens
    errors.install(app)
    for module in (
        routes_ops,
        routes_live,
        routes_read,
        routes_actions,
        routes_admin,
        routes_console,
    ):
        app.include_router(module.router)

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

    return app
