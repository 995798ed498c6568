"""A compacted Kafka topic read as "the latest value of every key": the state ingest's replicas
share (the outbox ledger, the X cursors), so it outlives any one pod.

Blocking (kafka-python): its callers run in threads already (tweepy's sources, the outbox's
poster). A write returns only once every in-sync replica has it (``acks=all``); a read
(:meth:`CompactedTopic.catch_up`) returns every record written before it began, in each
partition's order, so what another replica wrote and Kafka acknowledged is seen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError


class SharedStateError(RuntimeError):
    """The shared state could not be read or written; the message names the topic."""


@dataclass(frozen=True)
class Entry:
    key: str
    value: bytes | None  # None: a tombstone
    where: str  # topic/partition@offset, for error messages


class CompactedTopic:
    """Reads ``topic`` from its beginning and writes to it, by key."""

    def __init__(self, bootstrap: str, topic: str, *, client_id: str, timeout_s: float = 30.0):
        self.topic = topic
        self._timeout = timeout_s
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
            client_id=client_id, auto_offset_reset="earliest",
        )  # fmt: skip
        partitions = self._consumer.partitions_for_topic(topic)
        if not partitions:
            self._consumer.close()
            raise SharedStateError(
                f"topic {topic} does not exist: create it with `tweetcare infra provision`"
            )
        self._partitions = [TopicPartition(topic, p) for p in sorted(partitions)]
        self._consumer.assign(self._partitions)
        self._consumer.seek_to_beginning(*self._partitions)
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", client_id=client_id, linger_ms=0
        )

    def catch_up(self) -> list[Entry]:
        """Every record not read yet, up to the end each partition had when called. Raises
        :class:`SharedStateError` when that takes longer than the timeout."""
        try:
            ends = self._consumer.end_offsets(self._partitions)
            deadline = time.monotonic() + self._timeout
            entries: list[Entry] = []
            while any(self._consumer.position(tp) < ends[tp] for tp in self._partitions):
                if time.monotonic() > deadline:
                    raise SharedStateError(f"reading {self.topic} took over {self._timeout}s")
                for tp, records in self._consumer.poll(timeout_ms=200).items():
                    entries += [
                        Entry(r.key.decode(), r.value, f"{tp.topic}/{tp.partition}@{r.offset}")
                        for r in records
                        if r.key is not None
                    ]
            return entries
        except KafkaError as exc:
            raise SharedStateError(f"reading {self.topic}: {exc}") from exc

    def read_all(self) -> list[Entry]:
        """Every record from the beginning of each partition to its end when called."""
        self._consumer.seek_to_beginning(*self._partitions)
        return self.catch_up()

    def write(self, key: str, value: bytes) -> None:
        """Write ``value`` under ``key``; returns once Kafka acknowledged it, else raises
        :class:`SharedStateError`."""
        try:
            self._producer.send(self.topic, key=key.encode(), value=value).get(self._timeout)
        except KafkaError as exc:
            raise SharedStateError(f"writing {self.topic}: {exc}") from exc

    def close(self) -> None:
        self._producer.close(timeout=5)
        self._consumer.close()
