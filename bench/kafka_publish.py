"""How many tweet events a second one process publishes to the local Kafka (tweets.raw shape).

Builds real TweetEvents (validated models), encodes them with the topic's codec and publishes with
the shared EventPublisher into a throwaway topic with the product's partition count. Prints
events/s for building+encoding+publishing and for publishing alone.
Run: python -m bench.kafka_publish [--count N]   (needs `tweetcare infra up`)
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench._topics import throwaway_topic
from services.plumbing.contracts.codecs import TWEETS_RAW
from services.plumbing.contracts.common import Channel, Direction, case_key
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TweetEvent
from services.plumbing.publisher import EventPublisher, make_producer
from services.plumbing.settings import KafkaSettings, load_settings

TEXTS = (
    "@acme my order still has not arrived, it was due on Monday. what is going on?",
    "@acme_jp 注文した商品がまだ届きません。いつ発送されますか？",
    "@acme the app logs me out every time I open it since the update",
    "@acme_jp アプリが起動しません。再インストールしても同じです",
)


def build(count: int, start: datetime) -> list[TweetEvent]:
    events = []
    for i in range(count):
        customer = str(7_000_000 + i % 20_000)
        tweet_id = str(1_861_000_000_000_000_000 + i)
        events.append(
            TweetEvent(
                event_id=uuid.uuid4().hex,
                tweet_id=tweet_id,
                conversation_id=tweet_id,
                text=TEXTS[i % len(TEXTS)],
                author=Author(id=customer, handle=f"customer_{customer}", followers=i % 5000),
                mentions=["acme"],
                brand="acme",
                handle="acme",
                matched=[Match(kind=MatchKind.MENTION, rule="@acme")],
                direction=Direction.INBOUND,
                channel=Channel.PUBLIC,
                case_key=case_key("acme", customer),
                created_at=start + timedelta(milliseconds=i),
                received_at=start + timedelta(milliseconds=i),
                source=Source.GENERATED,
            )
        )
    return events


async def publish(settings: KafkaSettings, topic: str, events: list[TweetEvent]) -> float:
    producer = make_producer(settings, client_id="bench-publish")
    await producer.start()
    try:
        publisher = EventPublisher(producer, TWEETS_RAW, lambda e: e.case_key, topic=topic)
        t0 = time.perf_counter()
        await publisher.publish_many(events)
        await producer.flush()
        return time.perf_counter() - t0
    finally:
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    settings = load_settings(KafkaSettings)
    with throwaway_topic(settings, "publish") as topic:
        t0 = time.perf_counter()
        events = build(args.count, datetime.now(UTC))
        built = time.perf_counter() - t0
        sent = asyncio.run(publish(settings, topic, events))
    total = built + sent
    print(f"kafka_publish: {args.count} events, {settings.kafka_partitions} partitions")
    print(f"  build (pydantic) : {args.count / built:>9,.0f} events/s")
    print(f"  encode + publish : {args.count / sent:>9,.0f} events/s")
    print(f"  end to end       : {args.count / total:>9,.0f} events/s")


if __name__ == "__main__":
    main()
