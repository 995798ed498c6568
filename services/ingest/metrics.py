"""Prometheus metrics of the ingest service."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.plumbing.metrics import DlqMetrics


class IngestMetrics(DlqMetrics):
    """Tweets published and held back, X calls, errors, waits and spend, the outbox."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry)
        self.published = Counter(
            "tweetcare_ingest_published", "Tweets published to tweets.raw, by source", ["source"],
            registry=registry,
        )  # fmt: skip
        self.held_back = Gauge(
            "tweetcare_ingest_held_back",
            "Tweets not published: duplicate, retweet_dropped, retweet_collapsed", ["why"],
            registry=registry,
        )  # fmt: skip
        self.api_calls = Gauge(
            "tweetcare_ingest_x_api_calls", "Requests made to X, by endpoint", ["endpoint"],
            registry=registry,
        )  # fmt: skip
        self.api_errors = Counter(
            "tweetcare_ingest_x_api_errors", "Failed X requests, by endpoint and code",
            ["endpoint", "code"], registry=registry,
        )  # fmt: skip
        self.rate_limit_waits = Gauge(
            "tweetcare_ingest_x_rate_limit_waits", "Waits for an X rate-limit window, by endpoint",
            ["endpoint"], registry=registry,
        )  # fmt: skip
        self.spend = Gauge(
            "tweetcare_ingest_x_estimated_spend_usd",
            "Estimated X API spend this month (prices from configuration)", registry=registry,
        )  # fmt: skip
        self.budget_paused = Gauge(
            "tweetcare_ingest_optional_polling_paused",
            "1 while keyword search is paused to keep within the monthly read budget",
            registry=registry,
        )  # fmt: skip
        self.publish_latency = Histogram(
            "tweetcare_ingest_publish_seconds", "From receiving a tweet to Kafka acknowledging it",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5), registry=registry,
        )  # fmt: skip
        self.outbox = Counter(
            "tweetcare_ingest_outbox_replies", "Outbox replies by outcome (posted, failed)",
            ["status"], registry=registry,
        )  # fmt: skip
        self.lease_held = Gauge(
            "tweetcare_ingest_lease_held",
            "1 while this replica holds the lease, so reads X (one replica across the deployment)",
            registry=registry,
        )  # fmt: skip
