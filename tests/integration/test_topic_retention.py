"""`tweetcare infra provision` gives topics made before retention was decided their settings."""

from __future__ import annotations

from typing import Any

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from services.localinfra.provision import apply_topic_configs, topic_config

pytestmark = pytest.mark.kafka


def _configs(bootstrap: str, topic: str) -> dict[str, str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        keys = {"cleanup.policy": None, "retention.ms": None, "max.message.bytes": None}
        got = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, configs=keys)], config_filter="all"
        )
    finally:
        admin.close()
    return {k: str(v["value"]) for k, v in got["topic"][topic].items()}


def test_existing_topics_get_their_retention_and_keep_their_other_settings(
    kafka_bootstrap: str, fresh_topics: Any
) -> None:
    record, dlq = fresh_topics("record", "dlq", partitions=1)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:  # a setting provision does not own must survive (the alter is incremental)
        admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, record, {"max.message.bytes": "2000000"})]
        )
    finally:
        admin.close()
    wanted = {record: topic_config("tweets.raw"), dlq: topic_config("tweets.raw.dlq")}
    said: list[str] = []

    changed = apply_topic_configs(kafka_bootstrap, wanted, said.append)

    assert changed == {record: {"retention.ms": "-1"}, dlq: {"retention.ms": "2592000000"}}
    assert _configs(kafka_bootstrap, record) == {
        "cleanup.policy": "delete", "retention.ms": "-1", "max.message.bytes": "2000000"
    }  # fmt: skip
    assert _configs(kafka_bootstrap, dlq)["retention.ms"] == "2592000000"
    assert said == [
        f"topic config 1/2: {dlq}: retention.ms=604800000 -> retention.ms=2592000000",
        f"topic config 2/2: {record}: retention.ms=604800000 -> retention.ms=-1",
    ]
    # Run again: nothing left to change.
    assert apply_topic_configs(kafka_bootstrap, wanted, said.append) == {}
