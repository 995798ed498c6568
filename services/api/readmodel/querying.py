"""Pieces every read of the read model uses: a frozen answer model, terms filters and opaque page
cursors.

A cursor is the sort values of a page's last hit (``search_after``), with the list and order it
pages through, as JSON signed with the API's secret (:mod:`services.api.signing`): a cursor
that does not decode, was altered or made up, or belongs to another list raises
:class:`~services.api.errors.InvalidCursorError` before Elasticsearch sees it.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict

from services.api.errors import InvalidCursorError
from services.api.signing import sign, unsign


class Frozen(BaseModel):
    """The base of every answer read from the read model: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def terms(field: str, values: list[Any]) -> dict[str, Any]:
    """A ``terms`` filter; enum members are sent by value."""
    return {"terms": {field: [v.value if hasattr(v, "value") else v for v in values]}}


MAX_CURSOR = 2_000
"""The longest cursor taken (a page's sort values are a few short keys and numbers)."""


def encode_cursor(scope: str, values: list[Any], *, key: bytes) -> str:
    """An opaque cursor: the sort values of the last hit and what they page through, signed
    with ``key``."""
    return sign(orjson.dumps({"s": scope, "a": values}), key)


def decode_cursor(cursor: str, scope: str, *, key: bytes) -> list[Any]:
    """The sort values in ``cursor``; raises :class:`InvalidCursorError` when it is not a
    cursor signed with ``key``, or not one of ``scope``'s."""
    payload = unsign(cursor, key) if len(cursor) <= MAX_CURSOR else None
    if payload is None:
        raise InvalidCursorError("it is not one this API made, or was altered")
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
