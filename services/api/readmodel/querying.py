"""Pieces every read of the read model uses: a frozen answer model, terms filters and opaque page
cursors.

A cursor is the sort values of a page's last hit (``search_after``), with the list and order it
pages through, base64 of JSON; a cursor used on another list raises
:class:`~services.api.errors.InvalidCursorError`.
"""

from __future__ import annotations

import base64
import binascii
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


def encode_cursor(scope: str, values: list[Any]) -> str:
    """An opaque cursor: the sort values of the last hit, and what they page through."""
    return base64.urlsafe_b64encode(orjson.dumps({"s": scope, "a": values})).decode()


def decode_cursor(cursor: str, scope: str) -> list[Any]:
    """The sort values in ``cursor``; raises :class:`InvalidCursorError` when it is not one of
    ``scope``'s cursors."""
    try:
        doc = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursorError("not a cursor") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("a"), list):
        raise InvalidCursorError("not a cursor")
    if doc.get("s") != scope:
        raise InvalidCursorError("it belongs to another list or sort order")
    values: list[Any] = doc["a"]
    return values


def next_cursor(scope: str, hits: list[dict[str, Any]], size: int) -> str | None:
    """The cursor after a page of ``size`` when ``hits`` (asked for ``size + 1``) has more."""
    return encode_cursor(scope, hits[size - 1]["sort"]) if len(hits) > size else None
