"""The lease: partition 0 of the lease topic makes a replica the one that reads X; the listener
starts and stops the sources at the rebalances; the shared topics are the ones provision makes."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from services.ingest.lease import Lease, holds_lease
from services.ingest.settings import IngestServiceSettings
from services.localinfra.provision import topic_config, topic_names

LEASE = "ingest.lease"


@pytest.mark.parametrize(
    ("assigned", "held"),
    [
        ([TopicPartition(LEASE, 0)], True),
        ([TopicPartition(LEASE, 1), TopicPartition(LEASE, 0)], True),
        ([TopicPartition(LEASE, 1), TopicPartition(LEASE, 2)], False),
        ([TopicPartition("outbox.replies", 0)], False),
        ([], False),
    ],
)
def test_only_partition_0_of_the_lease_topic_is_the_lease(
    assigned: list[TopicPartition], held: bool
) -> None:
    assert holds_lease(assigned, LEASE) is held


def test_the_sources_start_with_the_lease_and_stop_when_it_is_revoked() -> None:
    calls: list[str] = []
    gauge: list[int] = []

    async def acquired() -> None:
        calls.append("start")

    async def lost() -> None:
        calls.append("stop")

    lease = Lease(LEASE, acquired, lost, gauge.append, lambda: calls.append("rebalanced"))

    async def rebalances() -> None:
        await lease.on_partitions_assigned([TopicPartition(LEASE, 1)])  # a follower
        await lease.on_partitions_revoked([TopicPartition(LEASE, 1)])
        await lease.on_partitions_assigned([TopicPartition(LEASE, 0)])  # the leader
        await lease.on_partitions_assigned([TopicPartition(LEASE, 0)])  # no second start
        await lease.on_partitions_revoked([TopicPartition(LEASE, 0)])
        await lease.release()  # stopping after the revocation: nothing more to stop

    asyncio.run(rebalances())

    assert calls == ["rebalanced", "rebalanced", "start", "rebalanced", "stop"]
    assert gauge == [1, 0]
    assert lease.held is False


def test_a_replica_that_stops_while_holding_the_lease_stops_its_sources() -> None:
    calls: list[str] = []

    async def acquired() -> None:
        calls.append("start")

    async def lost() -> None:
        calls.append("stop")

    lease = Lease(LEASE, acquired, lost)

    async def run() -> None:
        await lease.on_partitions_assigned([TopicPartition(LEASE, 0)])
        await lease.release()

    asyncio.run(run())

    assert calls == ["start", "stop"]


def test_the_shared_topics_are_provisioned_and_the_state_is_compacted() -> None:
    settings = IngestServiceSettings()
    provisioned = set(topic_names())
    assert settings.ingest_lease_topic in provisioned
    # no records worth keeping: nothing to compact, the broker's week
    assert topic_config(settings.ingest_lease_topic) == {
        "cleanup.policy": "delete", "retention.ms": "604800000",
    }  # fmt: skip
    for topic in (settings.ingest_cursors_topic, settings.ingest_ledger_topic):
        assert topic in provisioned
        assert topic_config(topic) == {"cleanup.policy": "compact"}, topic
