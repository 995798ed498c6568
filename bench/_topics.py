"""A throwaway topic for a benchmark, created with the product's partition count and removed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from kafka import KafkaAdminClient

from services.plumbing.settings import KafkaSettings


@contextmanager
def throwaway_topic(settings: KafkaSettings, name: str) -> Iterator[str]:
    topic = f"bench.{name}.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    admin.create_topics(
        {topic: {"num_partitions": settings.kafka_partitions, "replication_factor": 1}},
        wait_for_metadata=True,
    )
    try:
        yield topic
    finally:
        admin.delete_topics([topic])
        admin.close()
