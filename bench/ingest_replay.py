"""Replay throughput from a file into the local Kafka (issue 3 target: 20,000 tweets/s).

Replays ../shared/data/twcs_sample.csv LOOPS times (ids made unique per loop) at --speed max into
a throwaway topic with the product's partition count, through the same code as
`tweetcare ingest replay`, and prints tweets/s. Run: python -m bench.ingest_replay [--loops N]
"""

from __future__ import annotations

import argparse
import asyncio

from bench._topics import throwaway_topic
from services.ingest.dedupe import Admission
from services.ingest.pacing import Pacing
from services.ingest.replay import FileFormat, ReplayReport, load_events, replay
from services.ingest.replay_plan import plan
from services.plumbing.contracts.codecs import TWEETS_RAW
from services.plumbing.publisher import EventPublisher, make_producer
from services.plumbing.settings import KafkaSettings, load_settings
from services.plumbing.testing import TestDataSettings


async def run(settings: KafkaSettings, topic: str, loops: int) -> tuple[int, ReplayReport]:
    events = load_events(
        load_settings(TestDataSettings).data_dir / "twcs_sample.csv", FileFormat.TWCS, []
    )
    producer = make_producer(settings, client_id="bench-replay")
    await producer.start()
    try:
        publisher = EventPublisher(producer, TWEETS_RAW, lambda e: e.case_key, topic=topic)
        report = await replay(plan(events, Pacing(), loops=loops), publisher, Admission())
        return len(events), report
    finally:
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=40)
    args = parser.parse_args()
    settings = load_settings(KafkaSettings)
    with throwaway_topic(settings, "replay") as topic:
        per_loop, report = asyncio.run(run(settings, topic, args.loops))
    print(f"ingest_replay: twcs_sample.csv ({per_loop:,} tweets) x {args.loops} loops")
    print(f"  published {report.published:,} in {report.seconds:.2f}s: {report.rate:,.0f} tweets/s")


if __name__ == "__main__":
    main()
