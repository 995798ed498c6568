"""Settings of the SLA service (``TWEETCARE_SLA_*`` and the Kafka settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.plumbing.contracts.codecs import TopicName
from services.plumbing.settings import KafkaSettings


class SlaSettings(KafkaSettings):
    """Topics, the policy file, the timer loop and the ops port."""

    sla_app_id: str = "tweetcare-sla"
    sla_triaged_topic: str = TopicName.TWEETS_TRIAGED.value
    sla_actions_topic: str = TopicName.AGENT_ACTIONS.value
    sla_results_topic: str = TopicName.OUTBOX_RESULTS.value
    sla_events_topic: str = TopicName.CASES_EVENTS.value
    sla_outbox_topic: str = TopicName.OUTBOX_REPLIES.value
    sla_state_topic: str = Field(
        default="sla.cases",
        description="Internal: each case key's book, compacted, co-partitioned with the inputs",
    )
    sla_decoded_books: int = Field(
        default=100_000, gt=0, description="Books kept decoded; the rest wait as bytes"
    )
    sla_batch_size: int = Field(default=500, gt=0, description="Most inputs applied per batch")
    sla_batch_seconds: float = Field(
        default=0.05, gt=0, description="Longest wait to fill a batch (seconds)"
    )
    sla_policy: Path | None = Field(default=None, description="SLA policy YAML (default: 60m)")
    sla_timer_interval: float = Field(default=0.02, gt=0, description="Seconds between looks")
    sla_metrics_port: int = 8003
    sla_log_level: str = "INFO"

    def dlq(self, topic: str) -> str:
        return f"{topic}.dlq"
