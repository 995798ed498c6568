"""Pieces every read of the read model uses: a frozen answer model, terms filters and opaque page
cursors.

A cursor is the sort values of a page's last hit (``search_after``), with the list and order it
pages through, as base64 of JSON, then ``.`` and an HMAC-SHA256 of it (128 bits) under the
API's secret: a cursor that does not decode, was altered or made up, or belongs to another list
raises :class:`~services.api.errors.InvalidCursorError` before Elasticsearch sees it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict

from services.api.errors import InvalidCursorError


class Frozen(BaseModel):
    """The base of every answer read from the read model: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def terms(field: str, values: list[Any]) -> dict[str, Any]:
    """A ``terms`` filter; enum members are sent by value."""
    return {"terms": {field: [v.value if hasattr(v, "value") else v for v in values]}}


MAX_CURSOR = 2_000
"""The longest cursor taken (a page's sort values are a few short keys and numbers)."""


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:16]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(scope: str, values: list[Any], *, key: bytes) -> str:
    """An opaque cursor: the sort values of the last hit and what they page through, signed
    with ``key``."""
    payload = orjson.dumps({"s": scope, "a": values})
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def decode_cursor(cursor: str, scope: str, *, key: bytes) -> list[Any]:
    """The sort values in ``cursor``; raises :class:`InvalidCursorError` when it is not a
    cursor signed with ``key``, or not one of ``scope``'s."""
    body, dot, mac = cursor.partition(".")
    if len(cursor) > MAX_CURSOR or not dot:
        raise InvalidCursorError("not a cursor")
    try:
        payload, signature = _unb64(body), _unb64(mac)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursorError("not a cursor") from exc
    if not hmac.compare_digest(signature, _mac(key, payload)):
        raise InvalidCursorError("it was altered, or made elsewhere")
    try:
        doc = orjson.loads(payload)
    except ValueError as exc:
        raise InvalidCursorError("not a cursor") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("a"), list):
        raise InvalidCursorError("not a cursor")
    if doc.get("s") != scope:
        raise InvalidCursorError("it belongs to another list or sort order")
    values: list[Any] = doc["a"]
    return values


def next_cursor(scope: str, hits: list[dict[str, Any]], size: int, *, key: bytes) -> str | None:
    """The cursor after a page of ``size`` when ``hits`` (asked for ``size + 1``) has more."""
    if len(hits) <= size:
        return None
    return encode_cursor(scope, hits[size - 1]["sort"], key=key)
