"""The generated stream: reproducible, bilingual, shaped like support traffic, valid events."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime

import pytest

from services.ingest.generator import generate
from services.plumbing.contracts.codecs import TWEETS_RAW
from services.plumbing.contracts.common import Channel, Direction
from services.plumbing.contracts.tweets import MatchKind, TweetEvent

START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _take(seed: int, count: int = 1500) -> list[TweetEvent]:
    return list(itertools.islice(generate(seed, START), count))


@pytest.fixture(scope="module")
def stream() -> list[TweetEvent]:
    return _take(7)


def test_same_seed_same_stream_other_seed_other_stream() -> None:
    assert _take(3, 200) == _take(3, 200)
    assert [e.text for e in _take(3, 200)] != [e.text for e in _take(4, 200)]


def test_events_are_valid_in_time_order_with_unique_ids(stream: list[TweetEvent]) -> None:
    assert [e.created_at for e in stream] == sorted(e.created_at for e in stream)
    assert stream[0].created_at >= START
    assert len({e.tweet_id for e in stream}) == len(stream)
    for event in stream:
        assert TWEETS_RAW.decode(TWEETS_RAW.encode(event)) == event


def test_mix_looks_like_support_traffic(stream: list[TweetEvent]) -> None:
    langs = Counter(e.lang_hint for e in stream)
    assert langs["en"] > 200
    assert langs["ja"] > 200
    kinds = Counter(e.matched[0].kind for e in stream)
    assert kinds[MatchKind.KEYWORD] > 10  # active support: no @-mention
    assert kinds[MatchKind.DM] > 10
    assert sum(e.retweet_of_id is not None for e in stream) > 10
    assert sum(e.direction == Direction.OUTBOUND for e in stream) > 50
    texts = " ".join(e.text for e in stream)
    assert "090-" in texts  # Japanese phone numbers
    assert "http" in texts  # spam links


def test_brand_replies_answer_an_earlier_tweet_of_the_same_case(stream: list[TweetEvent]) -> None:
    seen = {e.tweet_id: e for e in stream}
    replies = [
        e for e in stream if e.direction == Direction.OUTBOUND and e.channel == Channel.PUBLIC
    ]
    answered = [r for r in replies if r.in_reply_to_tweet_id in seen]
    assert len(answered) > 30
    for reply in answered:
        original = seen[str(reply.in_reply_to_tweet_id)]
        assert original.created_at < reply.created_at
        assert reply.case_key == original.case_key
        assert reply.conversation_id == original.conversation_id


def test_dm_cases_stay_in_the_dm_channel(stream: list[TweetEvent]) -> None:
    dms = [e for e in stream if e.channel == Channel.DM]
    by_conversation: dict[str, set[str]] = {}
    for dm in dms:
        assert dm.dm_conversation_id is not None
        by_conversation.setdefault(dm.dm_conversation_id, set()).add(dm.case_key)
    assert all(len(keys) == 1 for keys in by_conversation.values())
    assert any(e.direction == Direction.OUTBOUND for e in dms)
