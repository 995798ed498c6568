"""Consumer metrics: series exist at zero once a group is watched; rebalances counted by the
aiokafka listener and by faust's signal; batches and commits timed, faust's idle commits not."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import faust
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from services.plumbing.consumer_metrics import (
    CountedRebalances,
    consumer_metrics,
    faust_consumer_metrics,
)
from services.plumbing.metrics import exposition, new_registry


def _values(registry: CollectorRegistry, sample: str) -> dict[str, float]:
    """``sample``'s value by group (histograms: ``<name>_count``)."""
    text = exposition(registry).decode()
    return {
        s.labels["group"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == sample
    }


REBALANCES = "tweetcare_kafka_consumer_rebalances_total"
BATCHES = "tweetcare_kafka_consumer_batch_seconds_count"
COMMITS = "tweetcare_kafka_consumer_commit_seconds_count"


def test_a_watched_group_is_scraped_at_zero_before_anything_happens() -> None:
    registry = new_registry()
    consumer_metrics(registry).watch("g")
    assert _values(registry, REBALANCES) == {"g": 0.0}
    assert _values(registry, BATCHES) == {"g": 0.0}
    assert _values(registry, COMMITS) == {"g": 0.0}


def test_one_collection_per_registry() -> None:
    registry = new_registry()
    assert consumer_metrics(registry) is consumer_metrics(registry)
    assert consumer_metrics(new_registry()) is not consumer_metrics(registry)


def test_the_listener_counts_each_assignment_for_its_group() -> None:
    registry = new_registry()
    metrics = consumer_metrics(registry)
    listener = CountedRebalances(metrics, "outbox")
    asyncio.run(listener.on_partitions_revoked(set()))
    asyncio.run(listener.on_partitions_assigned(set()))
    asyncio.run(listener.on_partitions_assigned(set()))
    assert _values(registry, REBALANCES) == {"outbox": 2.0}


def test_batches_and_commits_are_timed_even_when_they_raise() -> None:
    registry = new_registry()
    metrics = consumer_metrics(registry)
    with metrics.processing("g"):
        pass
    try:
        with metrics.committing("g"):
            raise RuntimeError("commit failed")
    except RuntimeError:
        pass
    assert _values(registry, BATCHES) == {"g": 1.0}
    assert _values(registry, COMMITS) == {"g": 1.0}


def test_faust_rebalances_are_counted_from_its_signal_and_only_real_commits_timed() -> None:
    registry = new_registry()
    app = faust.App("tweetcare-test-consumer-metrics", broker="kafka://127.0.0.1:1")
    faust_consumer_metrics(app, registry)
    assert _values(registry, REBALANCES) == {"tweetcare-test-consumer-metrics": 0.0}

    async def rebalance_twice() -> None:
        await app.on_rebalance_complete.send()
        await app.on_rebalance_complete.send()

    asyncio.run(rebalance_twice())
    assert _values(registry, REBALANCES) == {"tweetcare-test-consumer-metrics": 2.0}

    consumer = SimpleNamespace(_committed_offset={("t", 0): 5})
    idle = app.sensors.on_commit_initiated(consumer)  # type: ignore[arg-type]
    app.sensors.on_commit_completed(consumer, idle)  # type: ignore[arg-type]
    assert _values(registry, COMMITS) == {"tweetcare-test-consumer-metrics": 0.0}
    moving = app.sensors.on_commit_initiated(consumer)  # type: ignore[arg-type]
    consumer._committed_offset[("t", 0)] = 9
    app.sensors.on_commit_completed(consumer, moving)  # type: ignore[arg-type]
    assert _values(registry, COMMITS) == {"tweetcare-test-consumer-metrics": 1.0}
