"""Reading the record: a topic from its start to its end as it is now (kafka-python, no group).

Used by ``tweetcare triage labels``; the deciding is :mod:`services.triage.labels`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from services.plumbing.contracts.codecs import Codec, EventValidationError

T = TypeVar("T")
PROGRESS_EVERY = 10_000


class HistoryError(RuntimeError):
    """The topic cannot be read; the message says which and what to check."""


def read_topic(
    bootstrap: str,
    topic: str,
    codec: Codec[T],
    progress: Callable[[str], object],
    keep: Callable[[T], bool] = lambda _: True,
    timeout_s: float = 60.0,
) -> tuple[list[T], int]:
    """The events of ``topic`` that ``keep`` accepts, from the start to the end offsets taken
    when reading began, and how many records could not be decoded (skipped, counted). Progress
    every ``PROGRESS_EVERY`` records."""
    kept: list[T] = []
    bad = 0
    for number, value in enumerate(_values(bootstrap, topic, timeout_s), start=1):
        try:
            event = codec.decode(value)
        except EventValidationError:
            bad += 1
            continue
        if keep(event):
            kept.append(event)
        if number % PROGRESS_EVERY == 0:
            progress(f"labels: {topic}: {number:,} records read, {len(kept):,} kept")
    return kept, bad


def _values(bootstrap: str, topic: str, timeout_s: float) -> Iterator[bytes | None]:
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
            auto_offset_reset="earliest", request_timeout_ms=30_000,
        )  # fmt: skip
    except KafkaError as exc:
        raise HistoryError(f"cannot reach Kafka at {bootstrap}: {exc}; is it running?") from exc
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise HistoryError(
                f"topic {topic} does not exist at {bootstrap}: check the name (--cases-topic, "
                "--tweets-topic) and the bootstrap (TWEETCARE_KAFKA_BOOTSTRAP)"
            )
        parts = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        todo = {tp for tp in parts if ends[tp] > consumer.position(tp)}
        deadline = time.monotonic() + timeout_s
        while todo:
            polled = consumer.poll(timeout_ms=1000, max_records=5000)
            if polled:
                deadline = time.monotonic() + timeout_s
            elif time.monotonic() > deadline:
                raise HistoryError(
                    f"{topic}: nothing arrived for {timeout_s:.0f}s with "
                    f"{len(todo)} partitions unread to their end; is Kafka healthy?"
                )
            for tp, records in polled.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record.value
                if tp in todo and consumer.position(tp) >= ends[tp]:
                    todo.discard(tp)
                    consumer.pause(tp)
    finally:
        consumer.close()
