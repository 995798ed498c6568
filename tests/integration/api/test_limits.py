"""Every limit of the API is a 4xx with a stable code, on the real Elasticsearch: the size of a
body, the length of lists, a tampered cursor, a statistics window of too many periods, exports
held at once, and the rate of one token (429 with ``Retry-After``)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import orjson
import pytest

from services.plumbing.clock import FakeClock
from tests.integration.api.harness import running_api

pytestmark = [pytest.mark.elasticsearch]


def _code(answer: object) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]  # type: ignore[attr-defined]


def test_a_body_over_the_limit_is_a_413_whether_or_not_its_length_is_said() -> None:
    asyncio.run(_body())


async def _body() -> None:
    padded = b'{"text": "late"' + b" " * 70_000 + b"}"  # a valid search, 70 kB long

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(padded), 8_192):
            yield padded[start : start + 8_192]

    async with running_api() as api, api.client(await api.token("agent")) as client:
        headers = {"content-type": "application/json"}
        said = await client.post("/v1/search", content=padded, headers=headers)
        assert _code(said) == (413, "body_too_large")
        chunked = await client.post("/v1/search", content=chunks(), headers=headers)
        assert _code(chunked) == (413, "body_too_large")
        small = await client.post("/v1/search", content=b'{"text": "late"}', headers=headers)
        assert small.status_code == 200, small.text


def test_lists_tampered_cursors_and_wide_windows_are_4xx_with_stable_codes() -> None:
    asyncio.run(_refusals())


async def _refusals() -> None:
    async with running_api() as api, api.client(await api.token("supervisor")) as client:
        many = await client.post("/v1/search", json={"brand": [f"b{n}" for n in range(51)]})
        assert _code(many) == (422, "invalid_input")
        long_value = await client.post("/v1/search", json={"queue": ["q" * 101]})
        assert _code(long_value) == (422, "invalid_input")

        # a cursor as the API made them before they were signed, with values of our choosing
        forged = base64.urlsafe_b64encode(
            orjson.dumps({"s": "queue:care", "a": [{"x": 1}, "z"]})
        ).decode()
        for cursor in (forged, forged + ".AAAAAAAAAAAAAAAAAAAAAA", "bm90IGEgY3Vyc29y"):
            page = await client.get("/v1/queues/care/cases", params={"cursor": cursor})
            assert _code(page) == (400, "invalid_cursor"), cursor
        searched = await client.post("/v1/search", json={"cursor": forged})
        assert _code(searched) == (400, "invalid_cursor")

        years_by_hour = {"interval": "hour", "since": "2020-01-01T00:00:00Z",
                         "until": "2026-01-01T00:00:00Z"}  # fmt: skip
        for path, extra in (("/v1/stats/backlog", {}), ("/v1/stats/cases", {}),
                            ("/v1/stats/volume", {"by": "topic"})):  # fmt: skip
            wide = await client.get(path, params=years_by_hour | extra)
            assert _code(wide) == (400, "too_many_buckets"), path
        backwards = {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
        assert _code(await client.get("/v1/stats/cases", params=backwards)) == (
            422,
            "invalid_input",
        )


def test_a_token_holds_at_most_its_exports_at_once() -> None:
    asyncio.run(_exports())


async def _exports() -> None:
    async with running_api() as api, api.client(await api.token("agent")) as client:
        me = (await client.get("/v1/me")).json()["id"]
        held = [api.state.exports.acquire(me), api.state.exports.acquire(me)]
        refused = await client.post("/v1/search/export", json={"target": "tweets"})
        assert _code(refused) == (429, "too_many_exports")
        assert refused.headers["retry-after"] == "10"
        held[0].release()
        done = await client.post("/v1/search/export", json={"target": "tweets"})
        assert done.status_code == 200, done.text
        assert api.state.exports.held(me) == 1  # the finished export gave its slot back


def test_a_token_over_its_rate_gets_429_with_retry_after() -> None:
    asyncio.run(_rate())


async def _rate() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC), monotonic=1_000.0)
    async with running_api(clock=clock, api_rate_per_s=1.0, api_rate_burst=3) as api:
        busy, other = await api.token("agent", "busy"), await api.token("agent", "other")
        async with api.client(busy) as client, api.client(other) as calm:
            for _ in range(3):
                assert (await client.get("/v1/me")).status_code == 200
            over = await client.get("/v1/me")
            assert _code(over) == (429, "rate_limited")
            assert over.headers["retry-after"] == "1"
            assert (await calm.get("/v1/me")).status_code == 200
            clock.advance(1.0)
            assert (await client.get("/v1/me")).status_code == 200


def test_a_tag_is_at_most_50_characters_and_one_word() -> None:
    asyncio.run(_tags())


async def _tags() -> None:
    async with running_api() as api, api.client(await api.token("agent")) as client:
        for tag in ("x" * 51, "two words", "a,b", ""):
            refused = await client.post("/v1/cases/c-1/tag", json={"add": [tag]})
            assert _code(refused) == (422, "invalid_input"), tag
        fine = await client.post("/v1/cases/c-1/tag", json={"add": ["x" * 50]})
        assert _code(fine) == (404, "case_not_found")  # the body passed; there is no case c-1
