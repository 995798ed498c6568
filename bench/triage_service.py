"""Triage service throughput through the real Kafka (issue 7 target: 3,000 tweets/s).

Fills a throwaway raw topic with ../shared/data/twcs_sample.csv replayed LOOPS times, then starts
`tweetcare triage run` on it (a separate process, as in production) and measures how fast the
triaged topic fills: tweets/s from the first triaged event to the last.
Run: python -m bench.triage_service [--loops N] [--model DIR]
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
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from bench._topics import throwaway_topic
from bench.ingest_replay import run as replay_into
from services.plumbing.settings import KafkaSettings, load_settings


def _triaged(consumer: KafkaConsumer, topic: str, partitions: int) -> int:
    ends = consumer.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
    return sum(ends.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=20)
    parser.add_argument("--model", help="a `triage train` directory (default: rules only)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (one group)")
    args = parser.parse_args()
    settings = load_settings(KafkaSettings)
    with throwaway_topic(settings, "raw") as raw, throwaway_topic(settings, "triaged") as out:
        _, report = asyncio.run(replay_into(settings, raw, args.loops))
        total = report.published
        print(f"triage_service: {total:,} tweets waiting on {raw}", file=sys.stderr)
        env = {
            **os.environ,
            "TWEETCARE_TRIAGE_APP_ID": f"bench-triage-{uuid.uuid4().hex[:8]}",
            "TWEETCARE_TRIAGE_IN_TOPIC": raw,
            "TWEETCARE_TRIAGE_OUT_TOPIC": out,
            "TWEETCARE_TRIAGE_DLQ_TOPIC": f"{out}.dlq",
            "TWEETCARE_TRIAGE_LOG_LEVEL": "WARNING",
        }
        if args.model:
            env["TWEETCARE_TRIAGE_MODEL"] = args.model
        log = Path(tempfile.mkstemp(prefix="bench-triage-", suffix=".log")[1])
        consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
        with log.open("wb") as sink:
            workers = [
                subprocess.Popen(
                    [sys.executable, "-m", "services.cli", "triage", "run"],
                    env={**env, "TWEETCARE_TRIAGE_METRICS_PORT": str(6070 + n)},
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
                for n in range(args.workers)
            ]
            try:
                first_at = None
                deadline = time.monotonic() + 600
                done = 0
                while (
                    done < total
                    and time.monotonic() < deadline
                    and all(w.poll() is None for w in workers)
                ):
                    done = _triaged(consumer, out, settings.kafka_partitions)
                    if done and first_at is None:
                        first_at, first_count = time.monotonic(), done
                    time.sleep(0.2)
                ended = time.monotonic()
            finally:
                for worker in workers:
                    worker.terminate()
                for worker in workers:
                    worker.wait(timeout=60)
                consumer.close()
    if first_at is None or done < total:
        print(f"triage_service: only {done:,}/{total:,} triaged; worker log: {log}")
        sys.exit(1)
    rate = (done - first_count) / max(ended - first_at, 1e-9)
    what = f"model {args.model}" if args.model else "rules"
    print(f"triage_service: {total:,} tweets ({what}), {args.workers} worker process(es)")
    print(f"  triaged through Kafka at {rate:,.0f} tweets/s (first to last triaged event)")


if __name__ == "__main__":
    main()
