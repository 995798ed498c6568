"""Consumer lag per group, topic and partition, computed when Prometheus scrapes.

Two gauges, labelled ``group``, ``topic``, ``partition``, both in records:

- ``tweetcare_kafka_consumer_lag``: the partition's end (its highwater: the offset the next
  produced record gets) minus the consumer's position (the offset of the next record the
  service's own code takes). Records the service has not started on; what the dashboard and the
  alert use.
- ``tweetcare_kafka_consumer_committed_lag``: the end minus the group's committed offset — what
  ``kafka_consumergroup_lag`` (kafka_exporter, Burrow) shows: what a restart would read again.
  Above the first by the records in flight (taken, not yet committed).

Both come from what the running client already holds, so a scrape makes no Kafka request. The
end is what the last fetch response for the partition said; the client does not fetch a
partition while records of it wait unread in its buffer, so for a consumer that stopped reading
the lag stays flat at its last value instead of growing (the alert treats "not shrinking" as
bad, not only "growing"). A partition whose end or position the client does not know yet
(before its first fetch, before its first commit) has no sample rather than a guess.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast
from weakref import WeakKeyDictionary

import faust
from faust.exceptions import ConsumerNotStarted
from faust.transport.consumer import Consumer
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric

__all__ = ["ConsumerLag", "PartitionLag", "aiokafka_lag", "consumer_lag", "faust_lag"]

LAG = "tweetcare_kafka_consumer_lag"
COMMITTED_LAG = "tweetcare_kafka_consumer_committed_lag"
_LABELS = ("group", "topic", "partition")


@dataclass(frozen=True)
class PartitionLag:
    """What a consumer knows of one assigned partition; offsets are "next record" offsets."""

    topic: str
    partition: int
    end: int
    position: int | None
    committed: int | None


LagSource = Callable[[], Iterable[PartitionLag]]
"""Reads a running consumer's partitions; must not block or do I/O (it runs in a scrape)."""


class ConsumerLag:
    """The registry's collector of both gauges over the consumers it watches, one per group."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._sources: dict[str, LagSource] = {}
        registry.register(self)

    def watch(self, group: str, source: LagSource) -> None:
        """Report ``source`` as ``group``, replacing that group's earlier consumer (a restarted
        loop makes a new one)."""
        self._sources[group] = source

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        lag, committed = self._families()
        for group, source in list(self._sources.items()):
            for p in source():
                labels = [group, p.topic, str(p.partition)]
                # An end older than a position (fetched before the last records came) is 0 behind.
                if p.position is not None:
                    lag.add_metric(labels, max(0, p.end - p.position))
                if p.committed is not None:
                    committed.add_metric(labels, max(0, p.end - p.committed))
        yield lag
        yield committed

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                LAG, "Records between a partition's end and the consumer's position",
                labels=_LABELS,
            ),
            GaugeMetricFamily(
                COMMITTED_LAG, "Records between a partition's end and the group's committed offset",
                labels=_LABELS,
            ),
        )  # fmt: skip


_collectors: WeakKeyDictionary[CollectorRegistry, ConsumerLag] = WeakKeyDictionary()


def consumer_lag(registry: CollectorRegistry) -> ConsumerLag:
    """The one :class:`ConsumerLag` of ``registry`` (made on first use): a registry refuses two
    collectors of the same metric, and a restarted consumer must report into the same one."""
    collector = _collectors.get(registry)
    if collector is None:
        collector = _collectors[registry] = ConsumerLag(registry)
    return collector


def aiokafka_lag(
    consumer: Any,
    group: str,
    registry: CollectorRegistry,
    *,
    committed: Callable[[], Mapping[tuple[str, int], int]] | None = None,
) -> None:
    """Report an ``AIOKafkaConsumer``'s lag as ``group``; its position is the next record
    ``getmany`` returns. aiokafka does not keep committed offsets (``committed()`` asks the
    broker), so the committed lag is reported only from ``committed``: what the caller knows it
    committed, by (topic, partition)."""

    def read() -> Iterator[PartitionLag]:
        done = committed() if committed is not None else {}
        subscription = consumer._subscription.subscription
        if subscription is None:  # not started, or stopped
            return
        # ``position()`` is a coroutine; the partition state it reads is the one aiokafka's own
        # synchronous ``highwater()`` reads, so read both from it here.
        assignment = subscription.assignment
        for tp in consumer.assignment():
            state = assignment.state_value(tp)
            if state is None or state.highwater is None:
                continue
            position = state.position if state.has_valid_position else None
            key = (tp.topic, tp.partition)
            yield PartitionLag(tp.topic, tp.partition, state.highwater, position, done.get(key))

    consumer_lag(registry).watch(group, read)


def faust_lag(app: faust.App, registry: CollectorRegistry) -> None:
    """Report a faust app's lag as its consumer group (the app id), for every partition its
    agents read. The position is the offset after the last message a stream took
    (``app.monitor``), or the committed offset when none was taken since the partition was
    assigned; the committed offset is the one faust seeked to or last committed."""

    def read() -> Iterator[PartitionLag]:
        consumer = cast(Consumer, app.consumer)
        try:
            assigned = consumer.assignment()
        except ConsumerNotStarted:
            return
        read_offsets = app.monitor.tp_read_offsets
        for tp in assigned:
            # The client runs on its own thread: a partition revoked since ``assignment()`` is
            # no longer ours to report.
            with contextlib.suppress(AssertionError, KeyError):
                end: int | None = consumer.highwater(tp)
                if end is None:
                    continue
                committed = consumer._committed_offset.get(tp)
                taken = read_offsets.get(tp)
                after_taken = None if taken is None else taken + 1
                known = [o for o in (after_taken, committed) if o is not None]
                # Changelog and assignor partitions are never taken nor committed: no sample.
                position = max(known) if known else None
                yield PartitionLag(tp.topic, tp.partition, end, position, committed)

    consumer_lag(registry).watch(app.conf.id, read)
