"""The duplicate window rebuilt from ``tweets.raw`` when a replica takes the lease.

The window lives in each replica's memory. What the last holder published (from the stream, a
poll, an outbox echo) is in ``tweets.raw``: the new holder reads the records of the last
``lookback`` and counts them as seen, so a tweet the stream brought to the old holder and a
poll now brings again is held back rather than published a second time.

Blocking (kafka-python, whose consumer finds a topic's partitions and offsets by time without
subscribing): call :func:`recent_events` from a thread, then hand its events to
:meth:`~services.ingest.dedupe.Admission.confirm` on the loop, which owns the window.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from services.plumbing.contracts.codecs import TWEETS_RAW, EventValidationError
from services.plumbing.contracts.tweets import TweetEvent


def recent_events(
    bootstrap: str, topic: str, *, now: datetime, lookback: timedelta, timeout_s: float = 60.0
) -> list[TweetEvent]:
    """The events appended to ``topic`` since ``now - lookback``, up to its end when called.
    Raises ``TimeoutError`` when reading takes longer than ``timeout_s``, ``KafkaError`` when
    Kafka cannot be read."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
        client_id="tweetcare-ingest-recall",
    )  # fmt: skip
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        if not partitions:
            return []
        since = int((now - lookback).timestamp() * 1000)
        starts = consumer.offsets_for_times(dict.fromkeys(partitions, since))
        ends = consumer.end_offsets(partitions)
        begin = {
            tp: found.offset
            for tp, found in starts.items()
            if found is not None and found.offset < ends[tp]
        }
        consumer.assign(list(begin))
        for tp, offset in begin.items():
            consumer.seek(tp, offset)
        pending = {tp: ends[tp] for tp in begin}
        events: list[TweetEvent] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end for tp, end in pending.items()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading the last {lookback} of {topic} took over {timeout_s}s")
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    try:
                        events.append(TWEETS_RAW.decode(record.value))
                    except (EventValidationError, ValidationError, ValueError):
                        continue  # not ours to judge: triage dead-letters it
        return events
    finally:
        consumer.close()
