"""The live feed holds each case event as its bytes and routing fields and decodes the whole
event only for whoever asks: a message that is not a case event is skipped with a warning and the
feed reads on; one that only fails its whole decode gives no answer (warned once); the latest
event of a case and an action's outcome are the whole events; a stream's frames are the bytes
the SLA service wrote, the same frames as re-encoding the decoded event made."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from services.api.live import events as live_events
from services.api.live.feed import LiveFeed, receive, sse
from services.plumbing.contracts.cases import CaseEvent
from services.plumbing.contracts.codecs import CASES_EVENTS
from services.sla.actions import on_action
from services.sla.policies import Policy, PolicySpec
from services.sla.storage import CaseJson, encode_event
from services.sla.tweets import on_tweet
from tests.factories.sla import action, triaged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
POLICY = Policy(PolicySpec())
SKIPPED = "undecodable case event skipped"


def _written() -> list[tuple[CaseEvent, bytes]]:
    """An opened case, a tweet added, a claim's outcome: the events and the bytes the SLA
    service writes for them."""
    opened = on_tweet((), triaged("1", T0), POLICY)
    added = on_tweet(opened.book, triaged("2", T0, conversation="100"), POLICY)
    claim = action("claim", opened.book[0].case.case_id, T0)
    claimed = on_action(added.book, claim, POLICY, T0)
    cache = CaseJson()
    events = [*opened.events, *added.events, *claimed.events]
    assert claimed.events[-1].outcome is not None
    return [(e, encode_event(e, cache)) for e in events]


def _broken(data: bytes) -> bytes:
    """The same event with a priority no case has: routable, not a valid case event."""
    doc = orjson.loads(data)
    doc["event_id"] = "broken-1"
    doc["case"]["priority"] = "P9"
    return orjson.dumps(doc)


def _old_frame(data: bytes) -> bytes:
    """The frame the feed made before it kept the bytes: the event decoded and encoded again."""
    event = CASES_EVENTS.decode(data)
    return (
        b"id: "
        + event.event_id.encode()
        + b"\nevent: case\ndata: "
        + (CASES_EVENTS.encode(event) + b"\n\n")
    )


def _skipped(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.getMessage() == SKIPPED for r in caplog.records)


async def _frames(feed: LiveFeed, publish: Callable[[], None], count: int) -> list[bytes]:
    sub, backlog, found = feed.subscribe("*", None)
    stream = sse(feed, sub, backlog, found, heartbeat_s=60)
    assert await anext(stream) == b"retry: 2000\n\n"
    publish()
    frames = [await asyncio.wait_for(anext(stream), 2.0) for _ in range(count)]
    await stream.aclose()
    return frames


def test_frames_are_the_bytes_written_and_equal_the_re_encoded_frames() -> None:
    written = _written()
    feed = LiveFeed(100)

    def publish() -> None:
        for _, data in written:
            receive(feed, data)

    frames = asyncio.run(_frames(feed, publish, len(written)))
    assert frames == [_old_frame(data) for _, data in written]
    assert frames[0] == b"id: " + written[0][0].event_id.encode() + b"\nevent: case\ndata: " + (
        written[0][1] + b"\n\n"
    )


def test_a_message_that_is_no_case_event_is_skipped_and_the_feed_reads_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    (first, first_data), (second, second_data), *_ = _written()
    no_case = orjson.dumps({k: v for k, v in orjson.loads(first_data).items() if k != "case"})
    bad_id = first_data.replace(first.event_id.encode(), b"a\\nb", 1)  # would break `id:`
    feed = LiveFeed(100)

    def publish() -> None:
        for data in (first_data, b"not json", None, no_case, bad_id, second_data):
            receive(feed, data)

    with caplog.at_level(logging.WARNING, "tweetcare.api.live"):
        frames = asyncio.run(_frames(feed, publish, 2))
    assert frames == [_old_frame(first_data), _old_frame(second_data)]
    assert feed.received == 2
    assert _skipped(caplog) == 4
    resumed, replay, found = feed.subscribe("*", first.event_id)
    assert (found, [e.event_id for e in replay]) == (True, [second.event_id])
    feed.unsubscribe(resumed)


def test_latest_and_outcome_are_the_whole_events_decoded_once_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = _written()
    decoded: list[bytes | str | None] = []
    codec = live_events.CASES_EVENTS

    class Counting:
        topic = codec.topic
        encode = staticmethod(codec.encode)

        @staticmethod
        def decode(data: bytes | str | None) -> Any:
            decoded.append(data)
            return codec.decode(data)

    monkeypatch.setattr(live_events, "CASES_EVENTS", Counting)
    feed = LiveFeed(100)
    for _, data in written:
        receive(feed, data)
    assert decoded == []  # nobody asked: nothing decoded

    claimed, claimed_data = written[-1]
    assert claimed.outcome is not None
    case_id = claimed.case.case_id
    assert feed.latest(case_id) == claimed
    assert feed.latest(case_id) == claimed
    assert feed.outcome(claimed.outcome.action_id) == claimed
    assert decoded == [claimed_data]
    assert feed.latest("no-such-case") is None
    assert feed.outcome("no-such-action") is None


def test_an_event_that_fails_its_whole_decode_is_no_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    written = _written()
    claimed, claimed_data = written[-1]
    assert claimed.outcome is not None
    action_id = claimed.outcome.action_id
    older, older_data = written[0]
    feed = LiveFeed(100)

    async def run() -> tuple[CaseEvent | None, CaseEvent | None, CaseEvent]:
        waiting = feed.expect(action_id)
        receive(feed, older_data)
        with caplog.at_level(logging.WARNING, "tweetcare.api.live"):
            receive(feed, _broken(claimed_data))  # the outcome, but no valid event
            assert not waiting.done()
            latest, outcome = feed.latest(claimed.case.case_id), feed.outcome(action_id)
            assert feed.latest(claimed.case.case_id) is None
        receive(feed, older_data)  # an older version after it: the newest that decodes
        replaced = feed.latest(claimed.case.case_id)
        assert replaced == older
        receive(feed, claimed_data)  # the outcome again, valid
        return latest, outcome, await asyncio.wait_for(waiting, 1.0)

    latest, outcome, answered = asyncio.run(run())
    assert (latest, outcome, answered) == (None, None, claimed)
    assert _skipped(caplog) == 1  # warned once, however often it was asked for


def test_a_stream_sends_no_event_known_not_to_decode() -> None:
    (first, data), (_, second_data), *_ = _written()
    feed = LiveFeed(100)
    receive(feed, data)
    receive(feed, _broken(data))
    assert feed.latest(first.case.case_id) is None  # the newest does not decode

    async def run() -> list[bytes]:
        sub, backlog, found = feed.subscribe("*", first.event_id)  # the broken one follows it
        assert (found, [e.event_id for e in backlog]) == (True, ["broken-1"])
        stream = sse(feed, sub, backlog, found, heartbeat_s=60)
        assert await anext(stream) == b"retry: 2000\n\n"
        receive(feed, second_data)
        got = [await asyncio.wait_for(anext(stream), 2.0)]
        await stream.aclose()
        return got

    assert asyncio.run(run()) == [_old_frame(second_data)]


def test_bytes_that_are_not_one_line_are_sent_as_the_codec_writes_them() -> None:
    (event, data), *_ = _written()
    pretty = orjson.dumps(orjson.loads(data), option=orjson.OPT_INDENT_2)
    assert b"\n" in pretty
    feed = LiveFeed(100)
    frames = asyncio.run(_frames(feed, lambda: receive(feed, pretty), 1))
    assert frames == [_old_frame(data)]
    assert feed.latest(event.case.case_id) == event


def test_an_event_published_in_process_is_framed_as_the_codec_writes_it() -> None:
    (event, data), *_ = _written()
    feed = LiveFeed(100)
    frames = asyncio.run(_frames(feed, lambda: feed.publish(event), 1))
    assert frames == [_old_frame(data)]
    assert feed.latest(event.case.case_id) is event
