"""``/v1/queues/{queue}/stream``: server-sent events of a queue's case changes, resumable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path
from fastapi.responses import StreamingResponse

from services.api.deps import Reader, State
from services.api.live.feed import sse

router = APIRouter(prefix="/v1", tags=["live"])


@router.get(
    "/queues/{queue}/stream",
    summary="Live case changes of a queue (`*` for every queue) as server-sent events",
    description=(
        "Each event is `event: case` with the case event as data and its event id as `id`. "
        "Reconnect with `Last-Event-ID` to resume; `event: reset` means the resume point is "
        "too old and the client should reload. Browsers may pass `?access_token=`."
    ),
)
async def stream(
    queue: Annotated[str, Path(pattern=r"^(\*|[0-9A-Za-z_.\-]{1,64})$")],
    _: Reader,
    state: State,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    sub, backlog, found = state.feed.subscribe(queue, last_event_id)
    return StreamingResponse(
        sse(state.feed, sub, backlog, found),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
