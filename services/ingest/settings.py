"""Settings of the ingest service."""

from __future__ import annotations

from pydantic import Field

from services.ingest.dedupe import RetweetPolicy
from services.ingest.xapi.settings import XApiSettings
from services.plumbing.contracts.codecs import TopicName
from services.plumbing.settings import KafkaSettings


class IngestSettings(KafkaSettings):
    """Kafka, and how many recent tweet ids the duplicate window remembers."""

    ingest_dedupe_window: int = Field(default=1_000_000, ge=1)


class IngestServiceSettings(IngestSettings, XApiSettings):
    """`tweetcare ingest run`: the duplicate window, X (see ``XApiSettings``), the brands, the
    generated stream used when there is no X token, the ops port."""

    ingest_brands: list[str] = Field(
        default_factory=list, description='JSON ["AcmeHelp=acme", "acme_jp=acme"]'
    )
    ingest_retweets: RetweetPolicy = RetweetPolicy.DROP
    ingest_generate_per_minute: float = Field(default=12.0, gt=0)
    ingest_generate_seed: int | None = None
    ingest_metrics_port: int = 8001
    ingest_tweets_topic: str = TopicName.TWEETS_RAW.value
    ingest_replies_topic: str = TopicName.OUTBOX_REPLIES.value
    ingest_results_topic: str = TopicName.OUTBOX_RESULTS.value
    # Shared by the replicas (docs/ingest.md, "Several replicas"); provision creates them.
    ingest_lease_topic: str = "ingest.lease"
    ingest_lease_group: str = "tweetcare-ingest-lease"
    ingest_outbox_group: str = "tweetcare-ingest-outbox"
    ingest_cursors_topic: str = "ingest.cursors"
    ingest_ledger_topic: str = "ingest.outbox.ledger"
    ingest_session_timeout_ms: int = Field(
        default=10_000, ge=1_000, description="how soon a killed replica's lease and outbox "
        "partitions move (the broker's group.min.session.timeout.ms is the floor)",
    )  # fmt: skip
    ingest_rebalance_timeout_ms: int = Field(
        default=60_000, ge=1_000, description="how long a rebalance waits for a replica to "
        "finish the batch of replies in hand (posted, reported, committed) before dropping it",
    )  # fmt: skip
    ingest_dedupe_lookback_s: float = Field(
        default=900.0, ge=0, description="how much of tweets.raw a new lease holder reads back "
        "into its duplicate window",
    )  # fmt: skip
