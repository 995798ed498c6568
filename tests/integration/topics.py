"""Reading a test topic back from the real broker."""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer


def read_all(bootstrap: str, topic: str, idle_ms: int = 3000) -> list[Any]:
    """Every record of ``topic`` from the beginning, once nothing new arrives for ``idle_ms``."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=idle_ms,
    )
    try:
        return list(consumer)
    finally:
        consumer.close()
