"""Stream tickets open a stream for a minute, only unaltered and with the API's key; a stream
ends with ``event: revoked`` once its token no longer holds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.api.errors import UnauthenticatedError
from services.api.live.feed import REVOKED, LiveFeed, sse
from services.api.live.tickets import TICKET_TTL_S, issue, redeem
from tests.factories.readmodel import case, case_event

KEY = b"k" * 32
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_a_ticket_names_its_token_until_it_expires() -> None:
    ticket, expires = issue("ab" * 32, T0, key=KEY)
    assert expires == T0 + timedelta(seconds=TICKET_TTL_S)
    assert redeem(ticket, T0 + timedelta(seconds=TICKET_TTL_S - 1), key=KEY) == "ab" * 32
    for when, key, bad in (
        (T0 + timedelta(seconds=TICKET_TTL_S), KEY, ticket),  # expired
        (T0, b"x" * 32, ticket),  # another key
        (T0, KEY, issue("cd" * 32, T0, key=KEY)[0].split(".")[0] + "." + ticket.split(".")[1]),
        (T0, KEY, "tc_a-token-is-no-ticket"),
    ):
        with pytest.raises(UnauthenticatedError) as refused:
            redeem(bad, when, key=key)
        assert refused.value.code == "invalid_ticket"


def test_a_stream_ends_with_revoked_once_its_token_no_longer_holds() -> None:
    asyncio.run(_revoked())


async def _revoked() -> None:
    feed = LiveFeed(buffer_size=100)
    sub, backlog, found = feed.subscribe("*", None)
    holds = True

    async def allowed() -> bool:
        return holds

    stream = sse(feed, sub, backlog, found, allowed=allowed, recheck_s=0.02, heartbeat_s=60)
    assert await anext(stream) == b"retry: 2000\n\n"
    feed.publish(case_event(case("c-1"), 1, event_id="e-1"))
    assert b"id: e-1" in await anext(stream)
    holds = False
    assert await asyncio.wait_for(anext(stream), 2.0) == REVOKED
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
    assert feed.subscribers == 0
