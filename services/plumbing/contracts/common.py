"""Types shared by every event: ids, UTC millisecond timestamps, the case key, the event base."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

_ID_PATTERN = r"^[0-9A-Za-z_.:\-]{1,64}$"


def _to_utc_ms(value: datetime) -> datetime:
    tz = value.tzinfo
    if tz is UTC:
        if not value.microsecond % 1000:
            return value  # already UTC milliseconds: copied from case to case
    elif tz is None:
        raise ValueError("timestamp must carry a time zone (UTC)")
    else:
        # Any other zone, and pydantic's own zero-offset tzinfo of a parsed timestamp: from here
        # on the one ``UTC`` object, whose offset costs nothing to ask (every comparison, hash
        # and format of the value asks it; pydantic's costs a call into its extension).
        value = value.astimezone(UTC)
    if value.microsecond % 1000:
        value = value.replace(microsecond=(value.microsecond // 1000) * 1000)
    return value


_FORMATTED: dict[datetime, str] = {}
_FORMATTED_MAX = 65_536


def format_utc_ms(value: datetime) -> str:
    """``2026-11-22T13:45:48.123Z``: the one wire format of every timestamp.

    Remembers recent answers: a case's timestamps are written again in every event about it."""
    known = _FORMATTED.get(value)
    if known is not None:
        return known
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    text = utc.isoformat(timespec="milliseconds")[:-6] + "Z"
    if len(_FORMATTED) >= _FORMATTED_MAX:
        _FORMATTED.clear()
    _FORMATTED[value] = text
    return text


UtcTime = Annotated[
    datetime,
    AfterValidator(_to_utc_ms),
    PlainSerializer(format_utc_ms, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
            "description": "UTC timestamp with milliseconds, e.g. 2026-11-22T13:45:48.123Z",
        }
    ),
]
"""A UTC timestamp, truncated to milliseconds, written as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""

Id = Annotated[str, Field(pattern=_ID_PATTERN, description="An identifier, always a string")]
"""Tweet, user, case, action and event ids: strings (X ids exceed JavaScript's integers)."""

CaseKey = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Za-z_.\-]{1,64}:[0-9A-Za-z_.\-]{1,64}$",
        description="brand:customer_user_id — the Kafka key of every case-touching event",
    ),
]
"""The partitioning key that keeps one case (one brand, one customer) on one partition."""


def case_key(brand: str, customer_id: str) -> str:
    """The case key of ``customer_id``'s conversations with ``brand``."""
    return f"{brand}:{customer_id}"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Channel(StrEnum):
    PUBLIC = "public"
    DM = "dm"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Event(BaseModel):
    """Base of every event: immutable, no unknown fields, an ``event_id`` for idempotence."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    event_id: Id = Field(description="Unique per event; consumers ignore a repeat")


class Part(BaseModel):
    """Base of nested parts of an event."""

    model_config = ConfigDict(frozen=True, extra="forbid")
