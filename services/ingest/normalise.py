"""Build the one normalised ``tweet`` event from whatever a source knows about a tweet."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime

from services.plumbing.contracts.common import Channel, Direction, case_key
from services.plumbing.contracts.tweets import Author, Match, Source, TweetEvent

_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")
_HASHTAG = re.compile(r"(?<![\w#&])[#＃](\w+)")
_URL = re.compile(r"https?://\S+")
_ID_SALT = b"tweetcare/tweet"

# 1 January 2010 00:00:00 UTC, milliseconds: the epoch of X's snowflake ids.
SNOWFLAKE_EPOCH_MS = 1288834974657


def mentions(text: str) -> list[str]:
    return _MENTION.findall(text)


def hashtags(text: str) -> list[str]:
    return _HASHTAG.findall(text)


def urls(text: str) -> list[str]:
    return _URL.findall(text)


def snowflake_ms(tweet_id: str) -> int:
    """The creation time (ms since the Unix epoch) carried in an X snowflake id."""
    return (int(tweet_id) >> 22) + SNOWFLAKE_EPOCH_MS


MAX_TEXT = 10_000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class UnusableTweetError(ValueError):
    """A tweet that cannot become an event (it goes to the dead-letter topic with this reason)."""


def check_text(text: str, direction: Direction) -> None:
    """Refuse text that is not valid UTF-8 (undecodable bytes kept as lone surrogates), longer
    than 10,000 characters, or empty for a customer's tweet (nothing to read or answer; a brand
    reply without text still counts as a response)."""
    if _LONE_SURROGATE.search(text):
        raise UnusableTweetError("text is not valid UTF-8")
    if len(text) > MAX_TEXT:
        raise UnusableTweetError(f"text has {len(text):,} characters, more than {MAX_TEXT:,}")
    if direction == Direction.INBOUND and not text.strip():
        raise UnusableTweetError("text is empty")


def event_id_for(tweet_id: str) -> str:
    """A deterministic event id: the same tweet seen twice gets the same id (idempotence)."""
    return hashlib.blake2b(tweet_id.encode(), digest_size=16, key=_ID_SALT).hexdigest()


def build_event(
    *,
    tweet_id: str,
    conversation_id: str,
    text: str,
    author: Author,
    brand: str,
    handle: str,
    matched: Sequence[Match],
    direction: Direction,
    customer_id: str,
    created_at: datetime,
    received_at: datetime,
    source: Source,
    channel: Channel = Channel.PUBLIC,
    in_reply_to_tweet_id: str | None = None,
    in_reply_to_user_id: str | None = None,
    retweet_of_id: str | None = None,
    quoted_tweet_id: str | None = None,
    lang_hint: str | None = None,
    mention_list: Sequence[str] | None = None,
    hashtag_list: Sequence[str] | None = None,
    url_list: Sequence[str] | None = None,
    dm_conversation_id: str | None = None,
) -> TweetEvent:
    """One ``TweetEvent`` keyed by ``brand:customer_id``; entities come from the text if absent.

    Raises :class:`UnusableTweetError` (see :func:`check_text`).
    """
    check_text(text, direction)
    return TweetEvent(
        event_id=event_id_for(tweet_id),
        tweet_id=tweet_id,
        conversation_id=conversation_id,
        in_reply_to_tweet_id=in_reply_to_tweet_id,
        in_reply_to_user_id=in_reply_to_user_id,
        retweet_of_id=retweet_of_id,
        quoted_tweet_id=quoted_tweet_id,
        text=text,
        lang_hint=lang_hint,
        author=author,
        mentions=list(mention_list if mention_list is not None else mentions(text))[:100],
        hashtags=list(hashtag_list if hashtag_list is not None else hashtags(text))[:100],
        urls=list(url_list if url_list is not None else urls(text))[:100],
        brand=brand,
        handle=handle,
        matched=list(matched),
        direction=direction,
        channel=channel,
        dm_conversation_id=dm_conversation_id,
        case_key=case_key(brand, customer_id),
        created_at=created_at,
        received_at=received_at,
        source=source,
    )
