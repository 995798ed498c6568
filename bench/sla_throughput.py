"""SLA service throughput through the real Kafka (issue 12 target: 5,000 triaged tweets/s).

Fills a throwaway tweets.triaged topic with TWEETS events of the generated bilingual stream (the
demo's and the pipeline benchmark's traffic: conversations, brand replies, DMs, spam), triaged by
the product's own triage code, spread over CUSTOMERS customers. Then starts `tweetcare sla run`
on it (a separate process, as in production) and measures how fast its consumer group gets
through the topic: tweets/s from the first committed offset to the last.
Run: python -m bench.sla_throughput [--tweets N] [--customers C] [--workers W] [--profile]
(--workers starts W workers of one consumer group: the topic's partitions are shared out.)
(--profile records the worker with py-spy into collapsed stacks, FILE.folded, for flame graphs.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import orjson
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.errors import KafkaError

from bench._topics import throwaway_topic
from services.ingest.generator import generate
from services.plumbing.contracts.codecs import TWEETS_TRIAGED
from services.plumbing.publisher import CachingPartitioner, make_producer, send_records
from services.plumbing.settings import KafkaSettings, load_settings
from services.triage.config import TriageConfig
from services.triage.enrich import enrich

POLICY = "warn_at: [0.5, 0.8]\ndefault: {first_response: 1h, next_response: 1h, resolution: 1d}\n"
# Clocks long enough that none falls due while the topic fills and drains: the count of case
# events is then the same every run (timer precision is bench.sla_service's and bench.pipeline's).


def triaged_stream(tweets: int, customers: int, start: datetime) -> list[tuple[bytes, bytes]]:
    """``tweets`` generated tweets, triaged by the product's rules, as (key, value) records."""
    stream = generate(7, start, tweets_per_minute=60_000, customers=customers)
    config = TriageConfig()
    records: list[tuple[bytes, bytes]] = []
    while len(records) < tweets:
        batch = [next(stream) for _ in range(min(2000, tweets - len(records)))]
        for tt in enrich(batch, config, None, start):
            records.append((tt.tweet.case_key.encode(), TWEETS_TRIAGED.encode(tt)))
    return records


async def _fill(settings: KafkaSettings, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = make_producer(settings, client_id="bench-sla-fill")
    await producer.start()
    try:
        keys = CachingPartitioner()
        for at in range(0, len(records), 5000):
            await asyncio.gather(
                *await send_records(producer, topic, records[at : at + 5000], keys)
            )
    finally:
        await producer.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _event_ids(settings: KafkaSettings, topic: str) -> tuple[int, int]:
    """How many case events the run wrote, and how many distinct event ids among them."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
        consumer_timeout_ms=3000, max_partition_fetch_bytes=8 * 1024 * 1024,
    )  # fmt: skip
    ids = [orjson.loads(m.value)["event_id"] for m in consumer]
    consumer.close()
    return len(ids), len(set(ids))


def _committed(admin: KafkaAdminClient, group: str, topic: str) -> int:
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
    except KafkaError:  # the group does not exist until the worker joins
        return 0
    return sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=1, help="workers in the group (1-8)")
    parser.add_argument("--profile", action="store_true", help="py-spy record the (first) worker")
    args = parser.parse_args()
    if not 1 <= args.workers <= 8:
        parser.error("--workers takes 1 to 8")
    settings = load_settings(KafkaSettings)
    names = ["triaged", "actions", "results", "events", "outbox", "state"]
    with ExitStack() as stack:
        topics = {n: stack.enter_context(throwaway_topic(settings, f"sla-{n}")) for n in names}
        records = triaged_stream(args.tweets, args.customers, datetime.now(UTC))
        asyncio.run(_fill(settings, topics["triaged"], records))
        total = len(records)
        print(f"sla_throughput: {total:,} triaged tweets waiting on {topics['triaged']}",
              file=sys.stderr)  # fmt: skip
        policy = Path(tempfile.mkstemp(suffix=".yaml")[1])
        policy.write_text(POLICY)
        group = f"bench-sla-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "TWEETCARE_SLA_APP_ID": group,
            **{f"TWEETCARE_SLA_{n.upper()}_TOPIC": t for n, t in topics.items()},
            "TWEETCARE_SLA_POLICY": str(policy),
            "TWEETCARE_SLA_LOG_LEVEL": "WARNING",
        }
        log = Path(tempfile.mkstemp(prefix="bench-sla-", suffix=".log")[1])
        sink = stack.enter_context(log.open("wb"))
        command = [sys.executable, "-m", "services.cli", "sla", "run"]
        workers = [
            subprocess.Popen(command, env={**env, "TWEETCARE_SLA_METRICS_PORT": str(6081 + n)},
                             stdout=sink, stderr=subprocess.STDOUT)
            for n in range(args.workers)
        ]  # fmt: skip
        worker = workers[0]
        spy = None
        admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        try:
            first_at = None
            first_count = done = 0
            first_cpu = 0.0
            deadline = time.monotonic() + 900
            while (done < total and time.monotonic() < deadline
                   and all(w.poll() is None for w in workers)):  # fmt: skip
                done = _committed(admin, group, topics["triaged"])
                if done and first_at is None:
                    first_at, first_count = time.monotonic(), done
                    first_cpu = sum(cpu_seconds(w.pid) for w in workers)
                    spy_bin = Path(sys.executable).with_name("py-spy")
                    if args.profile and spy_bin.exists():
                        svg = log.with_suffix(".folded")
                        spy = subprocess.Popen(
                            [str(spy_bin), "record", "-o", str(svg), "-d", "20", "-f", "raw",
                             "-p", str(worker.pid)],
                            stdout=subprocess.DEVNULL,
                        )  # fmt: skip
                        print(f"sla_throughput: profiling into {svg}", file=sys.stderr)
                if done < total:
                    time.sleep(0.5)
            ended = time.monotonic()
            used = sum(cpu_seconds(w.pid) for w in workers)
            used_cpu = used - first_cpu if first_at is not None else 0.0
        finally:
            if spy is not None:
                spy.wait(timeout=60)
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(timeout=60)
            admin.close()
        events, distinct = _event_ids(settings, topics["events"])
    if first_at is None or done < total:
        print(f"sla_throughput: only {done:,}/{total:,} applied; worker log: {log}")
        sys.exit(1)
    rate = (done - first_count) / max(ended - first_at, 1e-9)
    per_cpu = (done - first_count) / max(used_cpu, 1e-9)
    print(f"sla_throughput: {total:,} triaged tweets over {args.customers:,} customers, "
          f"{args.workers} worker{'s' if args.workers > 1 else ''}")  # fmt: skip
    print(f"  applied through Kafka at {rate:,.0f} tweets/s; {events:,} case events written, "
          f"{distinct:,} distinct")  # fmt: skip
    print(
        f"  worker CPU {used_cpu:.1f} s over {ended - first_at:.1f} s: {per_cpu:,.0f} tweets per "
        "CPU-second (the rate with a core of its own; all workers together)"
    )


if __name__ == "__main__":
    main()
