"""Metrics helpers: per-service metrics modules build on an injectable registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest

# Re-exported: services serve /metrics with this module alone.
from prometheus_client.exposition import CONTENT_TYPE_LATEST as CONTENT_TYPE_LATEST


def new_registry() -> CollectorRegistry:
    """A fresh registry; tests pass their own so counts never leak between them."""
    return CollectorRegistry(auto_describe=True)


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry in the Prometheus text format, for a ``/metrics`` endpoint."""
    return generate_latest(registry)


class DlqMetrics:
    """Counts messages sent to a dead-letter topic, by source topic and reason code."""

    def __init__(self, registry: CollectorRegistry) -> None:
        # Kept for what plumbing registers beside a service's own metrics (consumer metrics).
        self.registry = registry
        self.dead_letters = Counter(
            "tweetcare_dead_letters",
            "Messages sent to a dead-letter topic, by source topic and reason",
            ["topic", "reason"],
            registry=registry,
        )
        self.produce_failures = Counter(
            "tweetcare_kafka_produce_failures",
            "Record batches the broker did not acknowledge (after retries), by topic",
            ["topic"],
            registry=registry,
        )
