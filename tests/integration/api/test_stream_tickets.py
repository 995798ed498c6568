"""The live stream on the real Elasticsearch's tokens: a browser opens it with a short-lived
ticket, never the token in the URL, and the stream ends when the token is revoked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from services.plumbing.clock import FakeClock
from tests.integration.api.harness import running_api

pytestmark = [pytest.mark.elasticsearch]


def test_a_stream_opens_with_a_ticket_not_a_token_and_ends_when_the_token_is_revoked() -> None:
    asyncio.run(_tickets())


async def _tickets() -> None:
    async with running_api() as api:
        token = await api.token("agent", "Aiko")
        async with api.client(token) as client, api.client() as browser:
            in_url = await browser.get("/v1/queues/*/stream", params={"access_token": token})
            assert (in_url.status_code, in_url.json()["error"]["code"]) == (401, "missing_token")

            issued = await client.post("/v1/stream-tickets")
            assert issued.status_code == 200, issued.text
            ticket = issued.json()["ticket"]
            assert token not in ticket

            opened = asyncio.create_task(
                browser.get("/v1/queues/*/stream", params={"ticket": ticket}, timeout=30)
            )
            await _until_subscribed(api.state.feed)
            me = (await client.get("/v1/me")).json()["id"]
            await api.state.tokens.revoke(me)
            ended = await asyncio.wait_for(opened, 15)
            assert ended.status_code == 200
            assert ended.text.endswith('event: revoked\ndata: {"code": "invalid_token"}\n\n')

            again = await browser.get("/v1/queues/*/stream", params={"ticket": ticket})
            assert (again.status_code, again.json()["error"]["code"]) == (401, "invalid_token")
            refused = await browser.get("/v1/queues/*/stream", params={"ticket": ticket + "x"})
            assert refused.json()["error"]["code"] == "invalid_ticket"


async def _until_subscribed(feed: object) -> None:
    for _ in range(200):
        if feed.subscribers:  # type: ignore[attr-defined]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the stream never subscribed")


def test_a_ticket_opens_no_stream_after_a_minute() -> None:
    asyncio.run(_expired())


async def _expired() -> None:
    clock = FakeClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    async with running_api(clock=clock) as api, api.client() as browser:
        async with api.client(await api.token("agent")) as client:
            ticket = (await client.post("/v1/stream-tickets")).json()["ticket"]
        clock.advance(60)
        late = await browser.get("/v1/queues/*/stream", params={"ticket": ticket})
        assert (late.status_code, late.json()["error"]["code"]) == (401, "invalid_ticket")
