"""The SLA state topic: one compacted record per case key (its book), read back on assignment.

The topic is co-partitioned with the input topics (same partition count, the same murmur2 key
partitioner), so the state of input partition ``p`` is partition ``p`` here. Reading it back
keeps the values as bytes (the engine decodes a book when an input touches it) and takes each
book's next due time from the record header.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.plumbing.settings import KafkaSettings
from services.sla.engine import DUE_HEADER
from services.sla.engine import Recovered as StateRow

log = logging.getLogger("tweetcare.sla")
Recovered = dict[int, list[StateRow]]


class StateTopicError(RuntimeError):
    """The state topic cannot hold this worker's state (missing, or partitioned differently)."""


async def check_partitions(producer: AIOKafkaProducer, state: str, inputs: Iterable[str]) -> None:
    """Refuse to run when the state topic's partitions differ from the input topics'."""
    have = len(await producer.partitions_for(state))
    for topic in inputs:
        want = len(await producer.partitions_for(topic))
        if want != have:
            raise StateTopicError(
                f"state topic {state} has {have} partitions but {topic} has {want}: they must be "
                f"equal (create it with `tweetcare infra provision`, or set TWEETCARE_SLA_STATE_"
                f"TOPIC to a topic with {want} partitions)"
            )


async def read_partitions(kafka: KafkaSettings, topic: str, partitions: set[int]) -> Recovered:
    """Every record of ``partitions`` of ``topic`` up to their end now, in log order."""
    out: Recovered = {p: [] for p in partitions}
    if not partitions:
        return out
    started = time.monotonic()
    # "earliest" here as well as the seek below: assign() starts a reset by the consumer's own
    # policy, and when that one finishes last it wins; with "latest" the read then began at the
    # end and found nothing in about half the restarts (a restarted worker forgot every case).
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.kafka_bootstrap, enable_auto_commit=False, group_id=None,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=16 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024,
    )  # fmt: skip
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        waiting = {tp for tp in tps if ends[tp] > 0}
        while waiting:
            for tp in list(waiting):
                if await consumer.position(tp) >= ends[tp]:
                    waiting.discard(tp)
            if not waiting:
                break
            batches = await consumer.getmany(*waiting, timeout_ms=1000, max_records=50_000)
            for tp, messages in batches.items():
                rows = out[tp.partition]
                for m in messages:
                    if m.offset >= ends[tp] or m.key is None:
                        continue
                    due = next((float(v) for k, v in m.headers if k == DUE_HEADER), None)
                    rows.append((m.key.decode(), m.value, due))
    finally:
        await consumer.stop()
    log.info(
        "case state read back",
        extra={
            "topic": topic,
            "partitions": sorted(partitions),
            "records": sum(len(r) for r in out.values()),
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    return out
