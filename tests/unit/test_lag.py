"""The lag collector: end minus position and minus committed, per group, topic and partition;
no sample for what the consumer does not know yet; one collector per registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from services.plumbing.lag import ConsumerLag, PartitionLag, consumer_lag
from services.plumbing.metrics import exposition, new_registry


def _samples(registry: CollectorRegistry, metric: str) -> dict[tuple[str, str, str], float]:
    text = exposition(registry).decode()
    return {
        (s.labels["group"], s.labels["topic"], s.labels["partition"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == metric
        for s in family.samples
    }


def test_lag_is_end_minus_position_and_committed_lag_end_minus_committed() -> None:
    registry = new_registry()
    consumer_lag(registry).watch(
        "g",
        lambda: [
            PartitionLag("t", 0, end=120, position=100, committed=90),
            PartitionLag("t", 1, end=7, position=7, committed=7),
            PartitionLag("u", 0, end=50, position=None, committed=None),  # not known yet
            PartitionLag("u", 1, end=50, position=55, committed=40),  # end fetched before
        ],
    )
    assert _samples(registry, "tweetcare_kafka_consumer_lag") == {
        ("g", "t", "0"): 20.0, ("g", "t", "1"): 0.0, ("g", "u", "1"): 0.0,
    }  # fmt: skip
    assert _samples(registry, "tweetcare_kafka_consumer_committed_lag") == {
        ("g", "t", "0"): 30.0, ("g", "t", "1"): 0.0, ("g", "u", "1"): 10.0,
    }  # fmt: skip


def test_a_group_watched_again_reports_its_new_consumer_only() -> None:
    registry = new_registry()
    consumer_lag(registry).watch("g", lambda: [PartitionLag("t", 0, 10, 2, None)])
    consumer_lag(registry).watch("g", lambda: [PartitionLag("t", 0, 10, 9, None)])
    consumer_lag(registry).watch("h", lambda: [PartitionLag("t", 0, 10, 0, None)])
    assert _samples(registry, "tweetcare_kafka_consumer_lag") == {
        ("g", "t", "0"): 1.0, ("h", "t", "0"): 10.0,
    }  # fmt: skip


def test_one_collector_per_registry() -> None:
    first, second = new_registry(), new_registry()
    assert consumer_lag(first) is consumer_lag(first)
    assert consumer_lag(first) is not consumer_lag(second)
    assert isinstance(consumer_lag(second), ConsumerLag)


def test_both_gauges_are_on_the_page_before_any_consumer_is_watched() -> None:
    registry = new_registry()
    consumer_lag(registry)
    text = exposition(registry).decode()
    assert "# TYPE tweetcare_kafka_consumer_lag gauge" in text
    assert "# TYPE tweetcare_kafka_consumer_committed_lag gauge" in text
