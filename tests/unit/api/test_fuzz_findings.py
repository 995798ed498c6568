"""What the schema fuzz (tests/integration/api/test_fuzz.py) found, each pinned without a network:
a body that is not UTF-8 was a 400 ``http_error``; a read before the read model's indices exist
(the API starting before its indexer made them, ``api reindex`` between delete and create) was a
500; the repeatable filters of the queues (``?brand=``, ``?lang=``) were read from a JSON body of
the GET, so the query's were ignored."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import httpx
from fastapi import FastAPI

from services.api import error_handlers
from services.api.app import create_app
from services.api.error_handlers import from_elasticsearch, respond, status_of
from services.api.live.feed import LiveFeed
from services.api.service import build_state
from services.api.settings import ApiSettings
from tests.unit.api.test_errors_and_stores import _api_error


def test_a_body_that_is_not_utf8_is_invalid_input_like_any_malformed_body() -> None:
    app = FastAPI()
    error_handlers.install(app)

    @app.post("/things")
    async def things(thing: dict[str, Any]) -> dict[str, Any]:
        return thing

    async def post(raw: bytes) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.post("/things", content=raw, headers=headers)

    headers = {"content-type": "application/json"}
    for raw in (b"\x80\x81{", b"{not json"):  # bytes that are not UTF-8; JSON that is not JSON
        answer = asyncio.run(post(raw))
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "invalid_input"
        assert error["fields"][0]["field"].startswith("body")


def test_a_missing_index_is_the_read_model_not_ready_a_503_to_retry() -> None:
    domain = from_elasticsearch(_api_error(404, "index_not_found_exception"))
    assert domain is not None
    assert (status_of(domain), domain.code) == (503, "elasticsearch_unavailable")
    assert respond(domain).headers.get("retry-after") == "5"


def test_the_queues_repeatable_filters_are_query_parameters_not_a_body() -> None:
    state = build_state(ApiSettings(), cast(Any, None), cast(Any, None), LiveFeed(100))
    paths = create_app(state).openapi()["paths"]
    for path, name in (("/v1/queues", "brand"), ("/v1/queues/{queue}/cases", "lang")):
        get = paths[path]["get"]
        assert "requestBody" not in get, path
        query = {p["name"]: p["schema"] for p in get["parameters"] if p["in"] == "query"}
        assert name in query, path
        listed = next(s for s in query[name]["anyOf"] if s.get("type") == "array")
        assert (listed["maxItems"], listed["items"]["maxLength"]) == (50, 64)


def test_no_get_takes_a_body_and_the_stats_filters_are_query_parameters() -> None:
    # `Labels | None` made FastAPI read a repeatable filter as a JSON body: on a GET, ignored.
    state = build_state(ApiSettings(), cast(Any, None), cast(Any, None), LiveFeed(100))
    paths = create_app(state).openapi()["paths"]
    with_body = [p for p, ops in paths.items() if "requestBody" in ops.get("get", {})]
    assert with_body == []
    for path in ("/v1/stats/cases", "/v1/stats/cases.csv", "/v1/stats/backlog"):
        query = {p["name"] for p in paths[path]["get"]["parameters"] if p["in"] == "query"}
        assert {"brand", "queue"} <= query, path
