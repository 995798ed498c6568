"""``/v1/queues/{queue}/stream``: server-sent events of a queue's case changes, resumable; and
``/v1/stream-tickets``, what a browser opens the stream with.

A browser's ``EventSource`` cannot send ``Authorization``: it asks ``POST /v1/stream-tickets``
(with its token) for a ticket and opens the stream with ``?ticket=`` — the token itself never
goes into a URL. A stream re-checks its token every ``TWEETCARE_API_TOKEN_CACHE_S`` (at least
every second) and ends with ``event: revoked`` once it is revoked.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from elastic_transport import TransportError
from elasticsearch import ApiError
from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import StreamingResponse

from services.api.auth import READ, admit, bearer
from services.api.deps import Now, Reader, State
from services.api.errors import UnauthenticatedError
from services.api.live.feed import sse
from services.api.live.tickets import MAX_TICKET, issue, redeem
from services.api.readmodel.querying import Frozen
from services.api.tokens import token_hash

router = APIRouter(prefix="/v1", tags=["live"])
log = logging.getLogger("tweetcare.api.live")


class StreamTicket(Frozen):
    ticket: str
    expires_at: datetime


@router.post(
    "/stream-tickets",
    summary="A short-lived ticket that opens the live stream (for EventSource: no token in URLs)",
)
async def stream_ticket(request: Request, _: Reader, state: State, now: Now) -> StreamTicket:
    token = bearer(request)
    assert token is not None  # Reader admitted it
    ticket, expires = issue(token_hash(token), now, key=state.secret)
    return StreamTicket(ticket=ticket, expires_at=expires)


@router.get(
    "/queues/{queue}/stream",
    summary="Live case changes of a queue (`*` for every queue) as server-sent events",
    description=(
        "Each event is `event: case` with the case event as data and its event id as `id`. "
        "Reconnect with `Last-Event-ID` (or `?last_event_id=`) to resume; `event: reset` means "
        "the resume point is too old and the client should reload; `event: revoked` that the "
        "token was revoked. Send `Authorization: Bearer`, or `?ticket=` from "
        "`POST /v1/stream-tickets` (browsers)."
    ),
)
async def stream(
    request: Request,
    queue: Annotated[str, Path(pattern=r"^(\*|[0-9A-Za-z_.\-]{1,64})$")],
    state: State,
    now: Now,
    ticket: Annotated[str | None, Query(max_length=MAX_TICKET)] = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
    resume_from: Annotated[str | None, Query(alias="last_event_id", max_length=64)] = None,
) -> StreamingResponse:
    token = bearer(request)
    if token is not None:
        hashed = token_hash(token)
    elif ticket is not None:
        hashed = redeem(ticket, now, key=state.secret)
    else:
        raise UnauthenticatedError(
            "missing_token",
            "send Authorization: Bearer <token>, or ?ticket= from POST /v1/stream-tickets",
        )
    admit(state, await state.tokens.lookup_hash(hashed), READ)

    async def allowed() -> bool:
        try:
            return await state.tokens.lookup_hash(hashed) is not None
        except (TransportError, ApiError) as exc:  # cannot tell: end it, the client comes back
            log.warning("stream token check failed", extra={"why": type(exc).__name__})
            return False

    sub, backlog, found = state.feed.subscribe(queue, last_event_id or resume_from)
    stream_body = sse(
        state.feed, sub, backlog, found, allowed=allowed,
        recheck_s=max(1.0, state.settings.api_token_cache_s), monotonic=state.clock.monotonic,
    )  # fmt: skip
    return StreamingResponse(
        stream_body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
