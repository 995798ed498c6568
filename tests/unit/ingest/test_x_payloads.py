"""X API v2 shapes → tweet events: mentions, active-support rules, brand replies, retweets, DMs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.ingest.brands import BrandMap
from services.ingest.x_payloads import PayloadError, dm_event, page_events, tweet_event
from services.plumbing.contracts.common import Channel, Direction
from services.plumbing.contracts.tweets import MatchKind, Source

BRANDS = BrandMap.from_pairs(["AcmeHelp=acme", "acme_jp=acme", "Other=other"])
NOW = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
USERS = [
    {
        "id": "501",
        "username": "mika_t",
        "name": "Mika",
        "verified": False,
        "public_metrics": {"followers_count": 1200, "following_count": 80},
        "location": "Tokyo",
    },
    {
        "id": "900",
        "username": "acme_jp",
        "verified": True,
        "public_metrics": {"followers_count": 9},
    },
]


def _page(tweet: dict[str, Any], rules: list[dict[str, str]] | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"data": tweet, "includes": {"users": USERS}}
    if rules is not None:
        page["matching_rules"] = rules
    return page


def _tweet(**fields: Any) -> dict[str, Any]:
    return {
        "id": "1861000000000000100",
        "author_id": "501",
        "created_at": "2026-11-22T04:59:58.000Z",
        "conversation_id": "1861000000000000100",
        "lang": "ja",
        **fields,
    }


def _one(page: dict[str, Any]) -> Any:
    events = list(page_events(page, BRANDS, received_at=NOW, source=Source.X_STREAM))
    assert len(events) == 1
    return events[0]


def test_mention_with_author_metrics() -> None:
    event = _one(
        _page(
            _tweet(
                text="@acme_jp 返品の手続きを教えてください",
                entities={"mentions": [{"username": "acme_jp"}], "hashtags": [{"tag": "返品"}]},
            )
        )
    )
    assert (event.brand, event.handle, event.direction) == ("acme", "acme_jp", Direction.INBOUND)
    assert event.matched[0].kind == MatchKind.MENTION
    assert (event.author.followers, event.author.location) == (1200, "Tokyo")
    assert event.case_key == "acme:501"
    assert event.hashtags == ["返品"]
    assert event.lang_hint == "ja"


def test_active_support_rule_match_without_a_mention() -> None:
    event = _one(
        _page(
            _tweet(text="アクメのアプリ、また落ちた"),
            rules=[{"id": "17", "tag": "acme/app-ja"}],
        )
    )
    assert event.matched[0].kind == MatchKind.KEYWORD
    assert event.matched[0].rule == "acme/app-ja"
    assert event.brand == "acme"


def test_brand_reply_is_outbound_and_keyed_by_the_customer() -> None:
    event = _one(
        _page(
            _tweet(
                id="1861000000000000200",
                author_id="900",
                text="@mika_t ご連絡ありがとうございます",
                in_reply_to_user_id="501",
                referenced_tweets=[{"type": "replied_to", "id": "1861000000000000100"}],
            )
        )
    )
    assert event.direction == Direction.OUTBOUND
    assert event.matched[0].kind == MatchKind.OWN
    assert event.case_key == "acme:501"
    assert event.in_reply_to_tweet_id == "1861000000000000100"


def test_retweet_is_marked_and_unrelated_tweets_are_ignored() -> None:
    event = _one(
        _page(
            _tweet(
                text="RT @acme_jp: セール開始",
                entities={"mentions": [{"username": "acme_jp"}]},
                referenced_tweets=[{"type": "retweeted", "id": "1860000000000000001"}],
            )
        )
    )
    assert event.retweet_of_id == "1860000000000000001"
    unrelated = _page(_tweet(text="今日はいい天気"))
    assert list(page_events(unrelated, BRANDS, received_at=NOW, source=Source.X_SEARCH)) == []


def test_missing_fields_are_a_clear_error() -> None:
    with pytest.raises(PayloadError, match="created_at"):
        tweet_event(
            {"id": "1", "author_id": "501", "text": "x"}, {}, BRANDS, received_at=NOW,
            source=Source.X_STREAM,
        )  # fmt: skip


def test_dm_events_are_the_dm_channel_both_ways() -> None:
    users = {u["id"]: u for u in USERS}
    brand_ids = {"900": "acme_jp"}
    inbound = dm_event(
        {
            "id": "77001",
            "event_type": "MessageCreate",
            "sender_id": "501",
            "dm_conversation_id": "501-900",
            "created_at": "2026-11-22T04:00:00.000Z",
            "text": "注文番号はこちらです",
        },
        users,
        BRANDS,
        brand_ids,
        received_at=NOW,
    )
    assert inbound is not None
    assert (inbound.channel, inbound.direction) == (Channel.DM, Direction.INBOUND)
    assert inbound.case_key == "acme:501"
    assert inbound.dm_conversation_id == "501-900"
    outbound = dm_event(
        {
            "id": "77002",
            "sender_id": "900",
            "dm_conversation_id": "501-900",
            "created_at": "2026-11-22T04:01:00.000Z",
            "text": "確認いたします",
        },
        users,
        BRANDS,
        brand_ids,
        received_at=NOW,
    )
    assert outbound is not None
    assert (outbound.direction, outbound.case_key) == (Direction.OUTBOUND, "acme:501")
