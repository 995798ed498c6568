"""Elasticsearch not answering: every authenticated route is a 503 with ``Retry-After`` and a
stable code (it was a 500), and health still answers."""

from __future__ import annotations

import asyncio

from tests.integration.api.harness import running_api
from tests.integration.workers import free_port


def test_an_elasticsearch_outage_is_a_503_with_retry_after() -> None:
    asyncio.run(_outage())


async def _outage() -> None:
    nothing_there = f"http://127.0.0.1:{free_port()}"
    async with running_api(es_url=nothing_there) as api, api.client("tc_whoever") as client:
        for method, path, body in (
            ("GET", "/v1/queues", None),
            ("GET", "/v1/me", None),
            ("POST", "/v1/search", {"text": "late"}),
            ("GET", "/v1/stats/cases", None),
        ):
            answer = await client.request(method, path, json=body)
            assert answer.status_code == 503, (path, answer.text)
            assert answer.headers["retry-after"] == "5"
            assert answer.json()["error"]["code"] == "elasticsearch_unavailable"
        assert (await client.get("/healthz")).status_code == 200
