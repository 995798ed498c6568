"""The indexer keeps two batches in flight: the second's bulk request goes out while the first's is
still in Elasticsearch, but its offsets are committed only after the first batch's are (a crash
between the two would otherwise lose the first batch). Real Kafka and Elasticsearch; the only
change is an Elasticsearch client that answers its first bulk request late."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch, Elasticsearch

from services.api.readmodel.indexer import Indexer
from services.api.readmodel.indices import KINDS, index_name
from services.api.readmodel.rebuild import topic_offsets, wait_caught_up
from services.localinfra.settings import InfraSettings
from tests.factories.readmodel import triaged_tweet
from tests.integration.api.test_readmodel import (
    config_for,
    customer,
    drop_read_model,
    make_topics,
    produce,
)

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


class _FirstBulkLate(AsyncElasticsearch):
    """The real client; its first bulk request is answered ``delay`` seconds late."""

    def __init__(self, *args: Any, delay: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # (also how the client copies itself for .options())
        self.delay = delay
        self.started = 0
        self.answered = 0

    async def bulk(self, *args: Any, **kwargs: Any) -> Any:
        self.started += 1
        first = self.started == 1
        response = await super().bulk(*args, **kwargs)
        if first:
            await asyncio.sleep(self.delay)
        self.answered += 1
        return response


def test_a_batch_commits_only_after_the_one_before_it(
    kafka_bootstrap: str, es: Elasticsearch, infra: InfraSettings
) -> None:
    topics, delete_topics = make_topics(
        kafka_bootstrap, "tweets", "cases", "tweets-dlq", "cases-dlq"
    )
    prefix = f"rmtest-{uuid.uuid4().hex[:8]}"
    config = config_for(kafka_bootstrap, topics, prefix, batch_size=20, linger_s=0.0)
    tweets = [triaged_tweet(f"f-{n}", f"tweet {n}", author=customer(n % 9)) for n in range(100)]

    async def scenario() -> tuple[int, dict[Any, int], dict[Any, int], int]:
        client = _FirstBulkLate(infra.es_url, delay=3.0)
        indexer = Indexer(client, config)
        stop = asyncio.Event()
        task = asyncio.create_task(indexer.run(stop))
        try:
            await produce(kafka_bootstrap, config, tweets, [])
            while client.answered < 1 and not task.done():  # the second batch is written…
                await asyncio.sleep(0.02)
            during = indexer.committed()  # …while the first is still in Elasticsearch
            in_flight = client.started
            offsets = await topic_offsets(kafka_bootstrap, topics[:2])
            await wait_caught_up(indexer, offsets, task=task, timeout=30)
            after = indexer.committed()
        finally:
            stop.set()
            await asyncio.gather(task, return_exceptions=True)
            await client.close()
        task.result()
        return in_flight, during, after, indexer.stats.records

    try:
        in_flight, during, after, records = asyncio.run(scenario())
        assert in_flight == 2  # the second bulk went out before the first was answered
        assert during == {}  # and nothing was committed before the first batch was
        assert sum(after.values()) == 100
        assert records == 100
        es.indices.refresh(index=",".join(index_name(prefix, k) for k in KINDS))
        assert es.count(index=index_name(prefix, "tweets"))["count"] == 100
    finally:
        drop_read_model(es, prefix)
        delete_topics()
