"""Reading consumer lag back from a Prometheus text page."""

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
