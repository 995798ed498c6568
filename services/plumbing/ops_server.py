"""``/metrics`` and ``/healthz`` for a service that is not a faust worker (aiohttp)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CollectorRegistry

from services.plumbing.metrics import CONTENT_TYPE_LATEST, exposition


async def start_ops_server(host: str, port: int, registry: CollectorRegistry) -> web.AppRunner:
    """Serve the registry and a health page on ``host:port``; the caller cleans up the runner."""

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(
            body=exposition(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
