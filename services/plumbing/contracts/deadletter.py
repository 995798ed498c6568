"""The dead-letter envelope written to ``<topic>.dlq`` by any consumer that cannot use a message."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from services.plumbing.contracts.common import Event, Part, UtcTime


class DeadLetterReason(StrEnum):
    UNDECODABLE = "undecodable"
    SCHEMA_VIOLATION = "schema_violation"
    UNKNOWN_VERSION = "unknown_version"
    PROCESSING_ERROR = "processing_error"


class FieldError(Part):
    loc: str = Field(max_length=500)
    msg: str = Field(max_length=500)


class DeadLetter(Event):
    """A message a consumer could not use, kept whole with the reason. Key: the original key."""

    version: Literal[1] = 1
    source_topic: str = Field(max_length=249)
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    key: str | None = None
    payload: str = Field(description="The original value: UTF-8 text, or base64 when not UTF-8")
    payload_encoding: Literal["utf-8", "base64"]
    reason_code: DeadLetterReason
    reason: str = Field(max_length=2_000)
    errors: list[FieldError] = Field(default_factory=list)
    consumer: str = Field(max_length=64, description="The service that gave up on it")
    failed_at: UtcTime
