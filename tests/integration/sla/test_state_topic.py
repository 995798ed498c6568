"""Reading an SLA worker's case state back from its state topic, as a restarted worker does.

Each read is a fresh consumer, as in a new process: one started with the "latest" reset policy
read from the end (and found nothing) in about half the reads, so a restarted worker forgot
every case it owned. Eight reads in a row all find every record, in log order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kafka import KafkaProducer

from services.plumbing.settings import KafkaSettings
from services.sla.engine import DUE_HEADER
from services.sla.state_topic import read_partitions

pytestmark = pytest.mark.kafka


def test_every_fresh_read_finds_every_record_in_log_order(
    kafka_bootstrap: str, fresh_topics: Any
) -> None:
    (topic,) = fresh_topics("state")
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for n in range(40):
        due = [(DUE_HEADER, str(1000.0 + n).encode())]
        producer.send(topic, key=f"acme:{n % 10}".encode(), value=f"v{n}".encode(),
                      partition=n % 4, headers=due)  # fmt: skip
    producer.send(topic, key=None, value=b"no key: not state", partition=0)
    producer.flush()
    producer.close()
    settings = KafkaSettings(kafka_bootstrap=kafka_bootstrap)
    want = {
        p: [(f"acme:{n % 10}", f"v{n}".encode(), 1000.0 + n) for n in range(p, 40, 4)]
        for p in range(4)
    }
    for _ in range(8):
        assert asyncio.run(read_partitions(settings, topic, {0, 1, 2, 3})) == want
    assert asyncio.run(read_partitions(settings, topic, {2})) == {2: want[2]}
