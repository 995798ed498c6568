"""A live stream whose mailbox overflows sends what it holds and ends, so the browser resumes
with ``Last-Event-ID`` and the buffer replays exactly what the stream missed."""

from __future__ import annotations

import asyncio

from services.api.live.feed import LiveFeed, sse
from tests.factories.readmodel import case, case_event


def _ids(frames: list[bytes]) -> list[str]:
    return [
        line[4:].decode()
        for frame in frames
        for line in frame.split(b"\n")
        if line.startswith(b"id: ")
    ]


async def _read_until_end(stream: object, timeout: float) -> list[bytes]:
    frames: list[bytes] = []

    async def read() -> None:
        async for frame in stream:  # type: ignore[attr-defined]
            frames.append(frame)

    await asyncio.wait_for(read(), timeout)
    return frames


def test_an_overflowing_stream_ends_and_its_resume_replays_what_it_missed() -> None:
    asyncio.run(_overflow())


async def _overflow() -> None:
    feed = LiveFeed(buffer_size=100, stream_capacity=5)
    sub, backlog, found = feed.subscribe("care", None)
    events = [case_event(case(f"c-{n}"), 1, event_id=f"e-{n}") for n in range(8)]
    for event in events:  # nobody reads meanwhile: the sixth does not fit
        feed.publish(event)
    assert feed.subscribers == 0

    frames = await _read_until_end(sse(feed, sub, backlog, found, heartbeat_s=0.05), 2.0)
    delivered = _ids(frames)
    assert delivered == [f"e-{n}" for n in range(5)]

    resumed, replay, resumed_found = feed.subscribe("care", delivered[-1])
    assert resumed_found
    assert [e.event_id for e in replay] == ["e-5", "e-6", "e-7"]
    feed.unsubscribe(resumed)


def test_a_stream_that_keeps_up_stays_open() -> None:
    asyncio.run(_keeps_up())


async def _keeps_up() -> None:
    feed = LiveFeed(buffer_size=100, stream_capacity=5)
    sub, backlog, found = feed.subscribe("care", None)
    stream = sse(feed, sub, backlog, found, heartbeat_s=0.05)
    assert await anext(stream) == b"retry: 2000\n\n"
    for n in range(8):
        feed.publish(case_event(case(f"c-{n}"), 1, event_id=f"e-{n}"))
        assert _ids([await anext(stream)]) == [f"e-{n}"]
    assert await anext(stream) == b": heartbeat\n\n"
    assert feed.subscribers == 1
    await stream.aclose()
    assert feed.subscribers == 0
