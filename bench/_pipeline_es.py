"""The raw `_bulk` limit of Elasticsearch for the pipeline benchmark: the documents the indexer
wrote in this run, rebuilt from the run's own topics, bulk-indexed into throwaway indices with
the read model's mappings (created by the indexer's own ``ensure_indices``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from elasticsearch import AsyncElasticsearch

from bench._pipeline_kafka import read_topic
from services.api.readmodel.documents import case_operations, tweet_operation
from services.api.readmodel.indices import ensure_indices
from services.plumbing.contracts.codecs import CASES_EVENTS, TWEETS_TRIAGED

BULK_DOCS = 2_000  # documents per request: about one indexer batch of 1,000 records
IN_FLIGHT = 2  # one request per core of this machine


@dataclass(frozen=True)
class EsLimit:
    rate: float  # documents/s
    docs: int


async def run_documents(
    bootstrap: str,
    partitions: int,
    triaged_topic: str,
    tweets: int,
    events_topic: str,
    events: int,
    prefix: str,
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The bulk operations the indexer writes for the first ``tweets`` triaged tweets and the
    first ``events`` case events (a case snapshot and an event document each), under
    ``prefix``."""
    ops: list[tuple[dict[str, Any], dict[str, Any]]] = []
    async for record in read_topic(bootstrap, triaged_topic, partitions, tweets):
        ops.append(tweet_operation(TWEETS_TRIAGED.decode(record.value), prefix))
    if events <= 0:
        return ops
    async for record in read_topic(bootstrap, events_topic, partitions, events):
        ops += case_operations(CASES_EVENTS.decode(record.value), prefix)
    return ops


async def es_limit(
    es_url: str, prefix: str, ops: Sequence[tuple[dict[str, Any], dict[str, Any]]]
) -> EsLimit:
    """Documents/s of ``_bulk`` with :data:`IN_FLIGHT` requests of :data:`BULK_DOCS` at a time.
    A refused item (other than a version conflict, which the indexer also meets) fails the
    measurement: it would not be a like-for-like comparison."""
    if not ops:
        raise ValueError("no documents to measure the Elasticsearch limit with")
    es = AsyncElasticsearch(es_url, request_timeout=120)
    try:
        await ensure_indices(es, prefix)
        chunks = [ops[i : i + BULK_DOCS] for i in range(0, len(ops), BULK_DOCS)]
        queue: asyncio.Queue[list[tuple[dict[str, Any], dict[str, Any]]]] = asyncio.Queue()
        for chunk in chunks:
            queue.put_nowait(list(chunk))

        async def worker() -> None:
            while not queue.empty():
                chunk = queue.get_nowait()
                body = [part for op in chunk for part in op]
                response = await es.bulk(operations=body)
                if response["errors"]:
                    for item in response["items"]:
                        result = next(iter(item.values()))
                        if result["status"] >= 300 and result["status"] != 409:
                            raise RuntimeError(f"Elasticsearch refused a document: {result}")

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - began
    finally:
        await es.close()
    return EsLimit(len(ops) / max(elapsed, 1e-9), len(ops))
