"""The indexer makes the cases it wrote searchable before it commits them (issue 12: a case is in
its queue as soon as it is indexed, not up to the cases index's refresh interval later), and
refreshes that index only: the others keep their interval.

Real Kafka and Elasticsearch. Once the indexer is running, the test turns both indices' scheduled
refresh off, so only the indexer's own refresh can make a new document searchable."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from elasticsearch import AsyncElasticsearch, Elasticsearch

from services.api.readmodel.indexer import Indexer
from services.api.readmodel.indices import CASES, TWEETS, index_name
from services.api.readmodel.rebuild import topic_offsets, wait_caught_up
from services.localinfra.settings import InfraSettings
from services.plumbing.contracts.cases import CaseEvent
from services.plumbing.contracts.tweets import TriagedTweet
from tests.factories.readmodel import case, case_event, triaged_tweet
from tests.integration.api.test_readmodel import (
    config_for,
    customer,
    drop_read_model,
    make_topics,
    produce,
)

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


@pytest.mark.parametrize("refresh_cases", [True, False])
def test_committed_cases_are_searchable_at_once_and_only_the_cases_index_is_refreshed(
    kafka_bootstrap: str, es: Elasticsearch, infra: InfraSettings, refresh_cases: bool
) -> None:
    topics, delete_topics = make_topics(
        kafka_bootstrap, "tweets", "cases", "tweets-dlq", "cases-dlq"
    )
    prefix = f"rmtest-{uuid.uuid4().hex[:8]}"
    config = config_for(kafka_bootstrap, topics, prefix, refresh_cases=refresh_cases)
    cases_index, tweets_index = index_name(prefix, CASES), index_name(prefix, TWEETS)

    def events(first: int, end: int) -> list[CaseEvent]:
        return [case_event(case(f"c{n}", customer=customer(n)), 1) for n in range(first, end)]

    def tweets(first: int, end: int) -> list[TriagedTweet]:
        return [
            triaged_tweet(f"t-{n}", f"tweet {n}", author=customer(n)) for n in range(first, end)
        ]

    async def scenario() -> tuple[int, int]:
        async with AsyncElasticsearch(infra.es_url, request_timeout=30) as client:
            indexer = Indexer(client, config)
            stop = asyncio.Event()
            task = asyncio.create_task(indexer.run(stop))
            try:
                # A first batch: the indices exist (the indexer made them) and hold it.
                await produce(kafka_bootstrap, config, tweets(0, 3), events(0, 3))
                offsets = await topic_offsets(kafka_bootstrap, topics[:2])
                await wait_caught_up(indexer, offsets, task=task, timeout=30)
                await client.indices.refresh(index=f"{cases_index},{tweets_index}")
                await client.indices.put_settings(
                    index=f"{cases_index},{tweets_index}", settings={"refresh_interval": "-1"}
                )
                # The next: searchable (cases) or not (tweets) the moment it is committed.
                await produce(kafka_bootstrap, config, tweets(3, 8), events(3, 8))
                offsets = await topic_offsets(kafka_bootstrap, topics[:2])
                await wait_caught_up(indexer, offsets, task=task, timeout=30)
                found_cases = (await client.count(index=cases_index))["count"]
                found_tweets = (await client.count(index=tweets_index))["count"]
            finally:
                stop.set()
                await asyncio.gather(task, return_exceptions=True)
            task.result()
            return found_cases, found_tweets

    try:
        found_cases, found_tweets = asyncio.run(scenario())
        assert found_cases == (8 if refresh_cases else 3)
        assert found_tweets == 3  # its index waits for its own (here: no) refresh
    finally:
        drop_read_model(es, prefix)
        delete_topics()
