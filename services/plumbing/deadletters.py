"""Decode a consumed record or turn it into a dead letter: nothing bad crashes a consumer."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from services.plumbing.contracts.codecs import Codec, EventValidationError, dead_letter
from services.plumbing.contracts.deadletter import DeadLetter
from services.plumbing.records import Record

T = TypeVar("T")


def decode(codec: Codec[T], record: Record, *, consumer: str, now: datetime) -> T | DeadLetter:
    """The decoded event, or the dead letter (with the reason) to send to ``<topic>.dlq``.

    ``record.topic`` is the topic the record was read from (a test may read a copy of a product
    topic)."""
    try:
        return codec.decode(record.value)
    except EventValidationError as exc:
        return dead_letter_of(exc, record, consumer=consumer, now=now)


def dead_letter_of(
    error: EventValidationError | Exception, record: Record, *, consumer: str, now: datetime
) -> DeadLetter:
    """The envelope for ``record``, which ``consumer`` could not use because of ``error``."""
    return dead_letter(
        error, topic=record.topic, partition=record.partition, offset=record.offset,
        key=record.key, value=record.value, consumer=consumer, now=now,
    )  # fmt: skip
