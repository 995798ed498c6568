"""Events built in tests (our own words, never text from ../shared/data)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.plumbing.contracts.common import Channel, Direction, case_key
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TweetEvent

AT = datetime(2026, 11, 22, 9, 30, 15, 123000, tzinfo=UTC)


def tweet_event(tweet_id: str, text: str, **overrides: Any) -> TweetEvent:
    """An inbound public mention of acme_jp by customer 4001, with ``overrides`` applied."""
    author = overrides.pop("author", Author(id="4001", handle="kumiko_t", followers=210))
    fields: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "tweet_id": tweet_id,
        "conversation_id": tweet_id,
        "text": text,
        "author": author,
        "mentions": ["acme_jp"],
        "brand": "acme",
        "handle": "acme_jp",
        "matched": [Match(kind=MatchKind.MENTION, rule="@acme_jp")],
        "direction": Direction.INBOUND,
        "channel": Channel.PUBLIC,
        "case_key": case_key("acme", author.id),
        "created_at": AT,
        "received_at": AT,
        "source": Source.GENERATED,
    }
    fields.update(overrides)
    return TweetEvent(**fields)
