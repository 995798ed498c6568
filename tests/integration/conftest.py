"""Fixtures for tests that need the real Kafka and Elasticsearch started by `tweetcare infra up`.

They fail, never skip, when the infrastructure is not there: `make test` starts it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient

from services.localinfra import elasticsearch as local_es
from services.localinfra import kafka as local_kafka
from services.localinfra.settings import InfraSettings
from services.plumbing.settings import load_settings

_HOW = "start it with `tweetcare infra up` (make test does this)"


@pytest.fixture(scope="session")
def infra() -> InfraSettings:
    return load_settings(InfraSettings)


@pytest.fixture(scope="session")
def kafka_bootstrap(infra: InfraSettings) -> str:
    assert local_kafka.healthy(infra), f"Kafka is not answering at {infra.kafka_bootstrap}: {_HOW}"
    return infra.kafka_bootstrap


@pytest.fixture(scope="session")
def es(infra: InfraSettings) -> Iterator[Elasticsearch]:
    assert local_es.healthy(infra), f"Elasticsearch is not answering at {infra.es_url}: {_HOW}"
    client = Elasticsearch(infra.es_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture
def fresh_topics(kafka_bootstrap: str) -> Iterator[Any]:
    """Makes throwaway topics (``test.<name>.<random>``) and deletes them afterwards."""
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    made: list[str] = []

    def make(*names: str, partitions: int = 4) -> list[str]:
        suffix = uuid.uuid4().hex[:8]
        topics = [f"test.{name}.{suffix}" for name in names]
        admin.create_topics(
            {t: {"num_partitions": partitions, "replication_factor": 1} for t in topics},
            wait_for_metadata=True,
        )
        made.extend(topics)
        return topics

    yield make
    if made:
        admin.delete_topics(made)
    admin.close()
