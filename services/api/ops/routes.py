"""``/metrics``, ``/healthz`` (the process), ``/readyz`` (Kafka and Elasticsearch reachable)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.api.deps import State
from services.plumbing.metrics import CONTENT_TYPE_LATEST, exposition

router = APIRouter(tags=["operations"])


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(state: State) -> Response:
    state.metrics.live_events.set(state.feed.received)
    state.metrics.streams.set(state.feed.subscribers)
    return Response(exposition(state.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Kafka and Elasticsearch are reachable")
async def readyz(state: State) -> JSONResponse:
    checks = {"elasticsearch": "ok", "kafka": "ok"}
    try:
        health = await state.es.options(request_timeout=3).cluster.health()
        if health.get("status") not in ("green", "yellow"):
            checks["elasticsearch"] = f"status {health.get('status')}"
    except Exception:  # any failure means not ready
        checks["elasticsearch"] = "unreachable"
    if not await state.kafka_ready():
        checks["kafka"] = "unreachable"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ok else "not_ready", **checks}, 200 if ok else 503)
