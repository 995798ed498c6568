"""Prometheus metrics of the API service."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.plumbing.metrics import DlqMetrics


class ApiMetrics(DlqMetrics):
    """Requests, actions and their outcomes, live streams, the indexer's progress."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry)
        self.requests = Counter(
            "tweetcare_api_requests", "HTTP requests by route and status", ["route", "status"],
            registry=registry,
        )  # fmt: skip
        self.latency = Histogram(
            "tweetcare_api_request_seconds", "HTTP request latency by route", ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )  # fmt: skip
        self.actions = Counter(
            "tweetcare_api_actions", "Agent actions by kind and answer (applied/rejected/pending)",
            ["kind", "answer"], registry=registry,
        )  # fmt: skip
        self.action_wait = Histogram(
            "tweetcare_api_action_outcome_seconds", "From sending an action to its outcome",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=registry,
        )  # fmt: skip
        self.streams = Gauge(
            "tweetcare_api_live_streams", "Open server-sent-event streams", registry=registry
        )
        self.live_events = Gauge(
            "tweetcare_api_live_events_received", "Case events read by the live feed",
            registry=registry,
        )  # fmt: skip
        self.indexed = Gauge(
            "tweetcare_api_indexed_documents", "Documents the indexer wrote, by kind", ["kind"],
            registry=registry,
        )  # fmt: skip
        self.indexer_retries = Gauge(
            "tweetcare_api_indexer_retries", "Bulk writes retried because Elasticsearch failed",
            registry=registry,
        )  # fmt: skip
