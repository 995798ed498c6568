"""SLA timer precision end to end (issue 4 target: p99 of fire minus due within 250 ms).

Opens CASES cases through a throwaway tweets.triaged topic with first-response targets whose
breaches fall due over SPREAD seconds (a 1-second target, tweets created at staggered times),
runs `tweetcare sla run` (a separate process, as in production), and reads every breach on
cases.events: occurred_at (when the worker fired it) minus due_at. This includes the tick's trip
through Kafka and the worker's processing.
Run: python -m bench.sla_service [--cases N] [--spread S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer

from bench._topics import throwaway_topic
from bench._tweets import opening_tweet
from services.plumbing.contracts.cases import ChangeKind
from services.plumbing.contracts.codecs import CASES_EVENTS, TWEETS_TRIAGED
from services.plumbing.contracts.tweets import Author
from services.plumbing.settings import KafkaSettings, load_settings

POLICY = "warn_at: [0.5]\ndefault: {first_response: 30s, resolution: 1d}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--spread", type=float, default=30.0)
    args = parser.parse_args()
    settings = load_settings(KafkaSettings)
    names = ["triaged", "actions", "results", "events", "outbox", "state"]
    with ExitStack() as stack:
        topics = {n: stack.enter_context(throwaway_topic(settings, f"sla-{n}")) for n in names}
        policy = Path(tempfile.mkstemp(suffix=".yaml")[1])
        policy.write_text(POLICY)
        env = {
            **os.environ,
            "TWEETCARE_SLA_APP_ID": f"bench-sla-{uuid.uuid4().hex[:8]}",
            **{f"TWEETCARE_SLA_{n.upper()}_TOPIC": t for n, t in topics.items()},
            "TWEETCARE_SLA_POLICY": str(policy),
            "TWEETCARE_SLA_METRICS_PORT": "6080",
            "TWEETCARE_SLA_LOG_LEVEL": "WARNING",
        }
        log = Path(tempfile.mkstemp(prefix="bench-sla-", suffix=".log")[1])
        sink = stack.enter_context(log.open("wb"))
        worker = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "sla", "run"],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            time.sleep(8)  # the worker joins its group
            producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=5)
            start = datetime.now(UTC) + timedelta(seconds=25)  # openings processed first
            for n in range(args.cases):
                # Breach due = created_at + 30 s, spread evenly over SPREAD seconds from start.
                created = (
                    start - timedelta(seconds=30) + timedelta(seconds=args.spread * n / args.cases)
                )
                who = Author(id=f"9{n:07d}", handle=f"bench{n}")
                tt = opening_tweet(f"77{n:08d}", who, created)
                producer.send(topics["triaged"], key=tt.tweet.case_key.encode(),
                              value=TWEETS_TRIAGED.encode(tt))  # fmt: skip
            producer.flush()
            producer.close()
            print(f"sla_service: {args.cases:,} cases sent; breaches due over {args.spread:.0f}s",
                  file=sys.stderr)  # fmt: skip
            time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + args.spread + 10)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
        consumer = KafkaConsumer(
            topics["events"], bootstrap_servers=settings.kafka_bootstrap,
            auto_offset_reset="earliest", consumer_timeout_ms=5000,
        )  # fmt: skip
        lags = []
        for message in consumer:
            event = CASES_EVENTS.decode(message.value)
            if event.change.kind == ChangeKind.SLA_BREACH and event.change.due_at is not None:
                lags.append((event.occurred_at - event.change.due_at).total_seconds() * 1000)
        consumer.close()
    if len(lags) < args.cases:
        print(f"sla_service: only {len(lags):,}/{args.cases:,} breaches; worker log {log}")
        sys.exit(1)
    q = statistics.quantiles(lags, n=100, method="inclusive")
    print(f"sla_service: {len(lags):,} breaches through Kafka (fire minus due, ms)")
    print(f"  p50 {q[49]:.0f}  p90 {q[89]:.0f}  p99 {q[98]:.0f}  max {max(lags):.0f}")


if __name__ == "__main__":
    main()
