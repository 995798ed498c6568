"""Decode a consumed message or turn it into a dead letter: nothing bad crashes a consumer."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from services.plumbing.contracts.codecs import Codec, EventValidationError, dead_letter
from services.plumbing.contracts.deadletter import DeadLetter

T = TypeVar("T")


def decode_or_dead_letter(
    codec: Codec[T],
    *,
    topic: str,
    key: bytes | None,
    value: bytes | None,
    partition: int,
    offset: int,
    consumer: str,
    now: datetime,
) -> T | DeadLetter:
    """The decoded event, or the dead letter (with the reason) to send to ``<topic>.dlq``.

    ``topic`` is the topic the message was read from (a test may read a copy of a product topic).
    """
    try:
        return codec.decode(value)
    except EventValidationError as exc:
        return dead_letter(
            exc,
            topic=topic,
            partition=partition,
            offset=offset,
            key=key,
            value=value,
            consumer=consumer,
            now=now,
        )
