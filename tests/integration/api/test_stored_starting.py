"""A read of the API's own documents waits out an index whose shard has not started (503), as
when another process has just created it, and gives up after its bound (real Elasticsearch).

The index is made with its one shard held unassigned by an allocation filter: every search of it
answers 503 until the filter is lifted."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from elasticsearch import ApiError, AsyncElasticsearch, Elasticsearch

from services.api.stored import _when_started
from services.localinfra.settings import InfraSettings

pytestmark = [pytest.mark.elasticsearch]

HELD = "index.routing.allocation.require._name"


def _held_index(es: Elasticsearch) -> str:
    name = f"stored-starting-{uuid.uuid4().hex[:8]}"
    es.indices.create(
        index=name,
        settings={"number_of_shards": 1, "number_of_replicas": 0, HELD: "no-such-node"},
        wait_for_active_shards="0",
    )
    return name


def test_a_read_waits_until_the_shard_starts(es: Elasticsearch, infra: InfraSettings) -> None:
    name = _held_index(es)

    async def scenario() -> dict[str, Any]:
        async with AsyncElasticsearch(infra.es_url, request_timeout=30) as client:
            with pytest.raises(ApiError) as first:
                await client.search(index=name)
            assert first.value.meta.status == 503  # the state the read must wait out

            async def release() -> None:
                await asyncio.sleep(1.0)
                await client.indices.put_settings(index=name, settings={HELD: None})

            releasing = asyncio.create_task(release())
            found = await _when_started(lambda: client.search(index=name), within_s=20)
            await releasing
            return dict(found.body)

    try:
        assert asyncio.run(scenario())["hits"]["hits"] == []
    finally:
        es.indices.delete(index=name)


def test_a_read_gives_up_after_its_bound(es: Elasticsearch, infra: InfraSettings) -> None:
    name = _held_index(es)

    async def scenario() -> int:
        async with AsyncElasticsearch(infra.es_url, request_timeout=30) as client:
            try:
                await _when_started(lambda: client.search(index=name), within_s=0.5)
            except ApiError as exc:
                return int(exc.meta.status)
            return 200

    try:
        assert asyncio.run(scenario()) == 503
    finally:
        es.indices.delete(index=name)
