"""Settings of the triage service (``TWEETCARE_TRIAGE_*`` and the Kafka settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.plumbing.contracts.codecs import TopicName
from services.plumbing.settings import KafkaSettings


class TriageSettings(KafkaSettings):
    """Where triage reads and writes, its configuration and model, and how it batches."""

    triage_app_id: str = "tweetcare-triage"
    triage_in_topic: str = TopicName.TWEETS_RAW.value
    triage_out_topic: str = TopicName.TWEETS_TRIAGED.value
    triage_dlq_topic: str | None = Field(default=None, description="Default: <in topic>.dlq")
    triage_config: Path | None = Field(
        default=None, description="Routing/VIP YAML; reloaded when it changes"
    )
    triage_config_check_seconds: float = Field(default=5.0, gt=0)
    triage_model: Path | None = Field(
        default=None,
        description="A `triage train --out` directory, or a models directory (followed)",
    )
    triage_batch_size: int = Field(default=1000, ge=1, le=100_000)
    triage_batch_seconds: float = Field(default=0.05, gt=0)
    # The broker answers a fetch once it holds this much for the worker, or after the wait:
    # fewer, fuller fetches at moderate rates (services.plumbing.faust_app.Fetching).
    triage_fetch_min_bytes: int = Field(default=65_536, ge=1)
    triage_fetch_max_wait_ms: int = Field(default=50, ge=0, le=1_000)
    triage_metrics_port: int = 8002
    triage_log_level: str = "INFO"

    @property
    def dlq_topic(self) -> str:
        return self.triage_dlq_topic or f"{self.triage_in_topic}.dlq"
