"""Which ingest replica reads X: the one that holds partition 0 of the lease topic.

Every replica joins one consumer group (``ingest_lease_group``) on ``ingest.lease``; Kafka's group
coordinator gives partition 0 to exactly one live member, so exactly one replica polls and
streams X (the outbox runs on every replica: its partitions are shared out by its own group). A
replica that stops leaves the group (its partitions are revoked at once); one that is killed or
cut off is dropped after ``session.timeout.ms``; either way the coordinator hands partition 0 to
another member, whose sources start from the shared cursors (:mod:`.xapi.cursor_topic`).

The topic carries no records: holding a partition is the lease. It has as many partitions as
every topic (one count for the whole deployment); only partition 0 counts.

Why a consumer group rather than a lease record with an expiry: the coordinator already decides
membership with heartbeats and a session timeout, on one clock (the broker's), and tells the
loser before the winner (eager rebalancing: every partition is revoked before any is assigned),
so replicas' clocks never have to agree and no expiry has to be tuned against clock skew.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

log = logging.getLogger("tweetcare.ingest.lease")


def holds_lease(partitions: Iterable[TopicPartition], topic: str) -> bool:
    """Whether ``partitions`` (an assignment) include the lease: ``topic``'s partition 0."""
    return any(tp.topic == topic and tp.partition == 0 for tp in partitions)


class Lease(ConsumerRebalanceListener):  # type: ignore[misc]
    """Calls ``acquired`` when this replica is given the lease and ``lost`` when it is taken
    away (both awaited inside the rebalance, so ``lost`` finishes before another replica can be
    given it — unless this one was dropped for missing heartbeats). ``on_change`` gets 1 or 0;
    ``rebalanced`` is called at every assignment, held or not (the group's rebalance count)."""

    def __init__(
        self, topic: str, acquired: Callable[[], Awaitable[None]],
        lost: Callable[[], Awaitable[None]], on_change: Callable[[int], None] | None = None,
        rebalanced: Callable[[], None] | None = None,
    ) -> None:  # fmt: skip
        self.topic = topic
        self.held = False
        self._acquired = acquired
        self._lost = lost
        self._on_change = on_change
        self._rebalanced = rebalanced

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        if self.held and holds_lease(revoked, self.topic):
            await self.release()

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        if self._rebalanced is not None:
            self._rebalanced()
        if not self.held and holds_lease(assigned, self.topic):
            self.held = True
            if self._on_change is not None:
                self._on_change(1)
            log.info("lease acquired: this replica reads X", extra={"topic": self.topic})
            await self._acquired()

    async def release(self) -> None:
        """Stop reading X (at a revocation, or when the replica stops)."""
        if not self.held:
            return
        self.held = False
        if self._on_change is not None:
            self._on_change(0)
        log.info("lease lost: this replica stops reading X", extra={"topic": self.topic})
        await self._lost()


async def keep_lease(consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
    """Stay in the group: aiokafka heartbeats in the background but drops a member that has not
    fetched within ``max.poll.interval.ms``. The topic has no records, so nothing is handled."""
    while not stop.is_set():
        await consumer.getmany(timeout_ms=500)
