"""Stream tickets: what a browser's ``EventSource`` carries in its URL instead of the token.

A ticket names the token it was issued for (by its SHA-256, never the token) and when it
expires, signed with the API's secret (:mod:`services.api.signing`); it opens a stream for
:data:`TICKET_TTL_S` after it is issued. Pure: the time is an argument.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson

from services.api.errors import UnauthenticatedError
from services.api.signing import sign, unsign

TICKET_TTL_S = 60
MAX_TICKET = 300


def issue(token_hash: str, now: datetime, *, key: bytes) -> tuple[str, datetime]:
    """A ticket for the token whose hash is ``token_hash``, and when it expires."""
    expires = now + timedelta(seconds=TICKET_TTL_S)
    payload = orjson.dumps({"h": token_hash, "e": int(expires.timestamp())})
    return sign(payload, key), expires


def redeem(ticket: str, now: datetime, *, key: bytes) -> str:
    """The token hash ``ticket`` was issued for; :class:`UnauthenticatedError`
    (``invalid_ticket``) when it is not a ticket this API made, or has expired."""
    payload = unsign(ticket, key) if len(ticket) <= MAX_TICKET else None
    if payload is None:
        raise UnauthenticatedError("invalid_ticket", "the stream ticket is not one of ours")
    try:
        doc = orjson.loads(payload)
        token_hash, expires = str(doc["h"]), int(doc["e"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UnauthenticatedError(
            "invalid_ticket", "the stream ticket is not one of ours"
        ) from exc
    if now.timestamp() >= expires:
        raise UnauthenticatedError(
            "invalid_ticket", "the stream ticket has expired: ask POST /v1/stream-tickets again"
        )
    return token_hash
