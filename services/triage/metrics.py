"""The triage service's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.plumbing.contracts.tweets import TriagedTweet
from services.plumbing.metrics import DlqMetrics

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class TriageMetrics(DlqMetrics):
    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry)
        self.triaged = Counter(
            "tweetcare_triage_tweets",
            "Tweets triaged, by decided topic, language, queue and priority",
            ["topic", "lang", "queue", "priority"],
            registry=registry,
        )
        self.needs_reply = Counter(
            "tweetcare_triage_needs_reply",
            "Tweets triaged, by whether they need a reply",
            ["needs_reply"],
            registry=registry,
        )
        self.decision_seconds = Histogram(
            "tweetcare_triage_decision_seconds",
            "Time to decide one batch, divided by its size (seconds per tweet)",
            buckets=(0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01),
            registry=registry,
        )
        self.latency = Histogram(
            "tweetcare_triage_latency_seconds",
            "From the tweet's receipt by ingest to its triaged event being sent",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "tweetcare_triage_batch_size",
            "Tweets per batch taken from the stream",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000),
            registry=registry,
        )
        self.model = Gauge(
            "tweetcare_triage_model_info",
            "The model deciding (1 for the version in use): rules-N or a trained model's id",
            ["version"],
            registry=registry,
        )
        self.model_reloads = Counter(
            "tweetcare_triage_model_reloads",
            "Model switches after the models directory's pointer moved, by result (applied or "
            "rejected)",
            ["result"],
            registry=registry,
        )
        self.config_reloads = Counter(
            "tweetcare_triage_config_reloads",
            "Configuration reloads, by result (applied or rejected)",
            ["result"],
            registry=registry,
        )

    def set_model(self, version: str) -> None:
        """The model info gauge says ``version`` alone is in use."""
        self.model.clear()
        self.model.labels(version).set(1)

    def count(self, event: TriagedTweet) -> None:
        t = event.triage
        self.triaged.labels(t.topic.value, t.lang, t.queue, t.priority.value).inc()
        self.needs_reply.labels(str(t.needs_reply).lower()).inc()
