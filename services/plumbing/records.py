"""A consumed Kafka record, the same shape whatever client read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class _Consumed(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Record:
    """Where a message was read (``topic``, ``partition``, ``offset``) and its bytes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    @classmethod
    def of(cls, consumed: _Consumed) -> Record:
        """The record of anything that has the five fields: aiokafka's ``ConsumerRecord``,
        faust's ``Message``, kafka-python's ``ConsumerRecord``."""
        return cls(
            consumed.topic, consumed.partition, consumed.offset, consumed.key, consumed.value
        )
