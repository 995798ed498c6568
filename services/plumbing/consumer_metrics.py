"""Rebalances and the time a consumer spends on a batch and on committing it, per consumer group.

Beside the lag (:mod:`services.plumbing.lag`), what every consuming service reports, labelled
``group``:

- ``tweetcare_kafka_consumer_rebalances_total``: assignments this member received — one per
  rebalance of its group (the first join included). Each member counts the rebalances it took
  part in, so a group's rebalances are the ``max`` over its members, not the sum.
- ``tweetcare_kafka_consumer_batch_seconds``: from a polled batch in hand to its results sent,
  before the commit (the service's own work, its dependencies included: Elasticsearch, X).
- ``tweetcare_kafka_consumer_commit_seconds``: one offset commit (a failed one included; faust's
  idle rounds that commit nothing excluded).

A consumer is announced with :meth:`ConsumerMetrics.watch` when it is made, so its series exist
(at zero) before the first rebalance or batch and a dashboard query of them returns data.
Failures: none of these calls raises; a timed block that raises is still observed.
"""

from __future__ import annotations

import time
from typing import Any, cast
from weakref import WeakKeyDictionary

import faust
from aiokafka.abc import ConsumerRebalanceListener
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.context_managers import Timer

__all__ = ["ConsumerMetrics", "CountedRebalances", "consumer_metrics", "faust_consumer_metrics"]

REBALANCES = "tweetcare_kafka_consumer_rebalances"
BATCH_SECONDS = "tweetcare_kafka_consumer_batch_seconds"
COMMIT_SECONDS = "tweetcare_kafka_consumer_commit_seconds"
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ConsumerMetrics:
    """The three metrics of one registry; every method takes the consumer's group."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._rebalances = Counter(
            REBALANCES, "Partition assignments this member received (one per group rebalance)",
            ["group"], registry=registry,
        )  # fmt: skip
        self._batch = Histogram(
            BATCH_SECONDS, "Time from a polled batch in hand to its results sent, before commit",
            ["group"], buckets=_BUCKETS, registry=registry,
        )  # fmt: skip
        self._commit = Histogram(
            COMMIT_SECONDS, "Time of one offset commit",
            ["group"], buckets=_BUCKETS, registry=registry,
        )  # fmt: skip

    def watch(self, group: str) -> None:
        """Make ``group``'s series (at zero) so they are scraped before anything happens."""
        self._rebalances.labels(group)
        self._batch.labels(group)
        self._commit.labels(group)

    def rebalanced(self, group: str) -> None:
        """Count one assignment (call it from the rebalance listener's "assigned")."""
        self._rebalances.labels(group).inc()

    def processing(self, group: str) -> Timer:
        """A context manager timing one batch's handling."""
        return self._batch.labels(group).time()

    def committing(self, group: str) -> Timer:
        """A context manager timing one offset commit."""
        return self._commit.labels(group).time()

    def committed(self, group: str, seconds: float) -> None:
        """Observe a commit timed elsewhere (faust's sensor hooks)."""
        self._commit.labels(group).observe(seconds)


_collectors: WeakKeyDictionary[CollectorRegistry, ConsumerMetrics] = WeakKeyDictionary()


def consumer_metrics(registry: CollectorRegistry) -> ConsumerMetrics:
    """The one :class:`ConsumerMetrics` of ``registry`` (made on first use): a registry refuses
    two metrics of one name, and a service's consumers (and a restarted one) share it."""
    metrics = _collectors.get(registry)
    if metrics is None:
        metrics = _collectors[registry] = ConsumerMetrics(registry)
    return metrics


class CountedRebalances(ConsumerRebalanceListener):  # type: ignore[misc]
    """An aiokafka listener for a consumer that needs nothing else on a rebalance."""

    def __init__(self, metrics: ConsumerMetrics, group: str) -> None:
        self._metrics = metrics
        self._group = group

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self._metrics.rebalanced(self._group)


class _CommitSensor(faust.Sensor):
    """Times faust's commits. faust runs one every ``broker_commit_interval`` whether or not
    anything was acknowledged; only those that moved a committed offset are observed, or idle
    rounds would pull the quantiles to zero."""

    def __init__(self, metrics: ConsumerMetrics, group: str) -> None:
        super().__init__()
        self._metrics = metrics
        self._group = group

    def on_commit_initiated(self, consumer: Any) -> Any:
        return time.perf_counter(), dict(consumer._committed_offset)

    def on_commit_completed(self, consumer: Any, state: Any) -> None:
        started, before = cast(tuple[float, dict[Any, int]], state)
        if dict(consumer._committed_offset) != before:
            self._metrics.committed(self._group, time.perf_counter() - started)


def faust_consumer_metrics(app: faust.App, registry: CollectorRegistry) -> ConsumerMetrics:
    """Count a faust app's rebalances and time its commits as its group (the app id); its agents
    time their batches with the returned metrics' :meth:`~ConsumerMetrics.processing`.

    faust sends ``on_rebalance_complete`` once a rebalance's assignment is in place (after table
    recovery, when there are tables), once per rebalance."""
    metrics = consumer_metrics(registry)
    group = app.conf.id
    metrics.watch(group)

    async def rebalanced(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        metrics.rebalanced(group)

    app.on_rebalance_complete.connect(rebalanced)

    app.sensors.add(_CommitSensor(metrics, group))
    return metrics
