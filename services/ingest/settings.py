"""Settings of the ingest service."""

from __future__ import annotations

from pydantic import Field

from services.plumbing.settings import KafkaSettings


class IngestSettings(KafkaSettings):
    """Kafka, and how many recent tweet ids the duplicate window remembers."""

    ingest_dedupe_window: int = Field(default=1_000_000, ge=1)
