"""Reading metrics back from a Prometheus text page: consumer lag, or any sample appearing."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

LAG = "tweetcare_kafka_consumer_lag"
COMMITTED_LAG = "tweetcare_kafka_consumer_committed_lag"

Samples = dict[tuple[str, str, int], float]
"""(group, topic, partition) -> records behind."""


def lag_samples(text: str, metric: str = LAG) -> Samples:
    """Every sample of ``metric`` on the page."""
    return {
        (s.labels["group"], s.labels["topic"], int(s.labels["partition"])): s.value
        for family in text_string_to_metric_families(text)
        if family.name == metric
        for s in family.samples
    }


def consumer_samples(text: str, group: str) -> dict[str, float]:
    """``group``'s rebalance count and batch and commit counts on the page, by name without
    ``tweetcare_kafka_consumer_`` (``rebalances_total``, ``batch_seconds_count``, ...)."""
    prefix = "tweetcare_kafka_consumer_"
    return {
        s.name.removeprefix(prefix): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith(prefix) and s.labels.get("group") == group and "le" not in s.labels
    }


def page(url: str) -> Callable[[], str]:
    return lambda: httpx.get(url, timeout=10).text


def wait_for_lag(
    read: Callable[[], str], expected: Samples, metric: str = LAG, timeout_s: float = 30
) -> Samples:
    """The samples once they equal ``expected``, or the last ones read when time ran out."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = lag_samples(read(), metric)
        if found == expected or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def wait_for_sample(read: Callable[[], str], sample: str, timeout_s: float = 30) -> str:
    """The page once it holds the text ``sample`` (e.g. ``name{labels} 1.0``); fails after
    ``timeout_s``. For waiting on what a service says it did instead of sleeping."""
    deadline = time.monotonic() + timeout_s
    while True:
        text = read()
        if sample in text:
            return text
        assert time.monotonic() < deadline, f"{sample!r} did not appear in {timeout_s}s"
        time.sleep(0.2)
