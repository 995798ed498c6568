"""X API v2 payloads (search pages, stream lines, DM events) → tweet events.

Used by the live sources and by replay of saved X v2 JSON alike. A tweet concerns a brand when its
author is a brand handle (outbound: the brand's own tweet or reply), when it mentions one, when a
filtered-stream rule whose tag is ``<brand>/<name>`` matched it (active support: no @-mention
needed), or when it replies to a brand's tweet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from services.ingest.brands import BrandMap
from services.ingest.normalise import build_event
from services.plumbing.contracts.common import Channel, Direction
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TweetEvent


class PayloadError(ValueError):
    """An X payload lacks what a tweet event needs; the message names the field."""


def parse_time(value: str) -> datetime:
    """An X timestamp (ISO 8601 with Z) as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def users_by_id(includes: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {str(u["id"]): u for u in (includes or {}).get("users", [])}


def author(user_id: str, users: Mapping[str, dict[str, Any]]) -> Author:
    user = users.get(user_id, {})
    metrics = user.get("public_metrics") or {}
    return Author(
        id=user_id,
        handle=user.get("username", user_id),
        name=user.get("name"),
        followers=metrics.get("followers_count"),
        following=metrics.get("following_count"),
        verified=bool(user.get("verified", False)),
        description=(user.get("description") or None),
        location=(user.get("location") or None),
        created_at=parse_time(user["created_at"]) if user.get("created_at") else None,
    )


def _rule_brand(rules: Iterable[Mapping[str, Any]]) -> tuple[str, str] | None:
    for rule in rules:
        tag = str(rule.get("tag") or "")
        brand, sep, name = tag.partition("/")
        if sep and brand:
            return brand, name or tag
    return None


def tweet_event(
    tweet: Mapping[str, Any],
    users: Mapping[str, dict[str, Any]],
    brands: BrandMap,
    *,
    received_at: datetime,
    source: Source,
    matching_rules: Iterable[Mapping[str, Any]] = (),
) -> TweetEvent | None:
    """The event for one v2 tweet object, or None when it concerns no brand we listen for."""
    try:
        tweet_id = str(tweet["id"])
        author_id = str(tweet["author_id"])
        created_at = parse_time(tweet["created_at"])
        text = str(tweet["text"])
    except KeyError as exc:
        raise PayloadError(f"tweet {tweet.get('id')!r} lacks {exc.args[0]!r}") from exc
    who = author(author_id, users)
    entities = tweet.get("entities") or {}
    mention_list = [m["username"] for m in entities.get("mentions", [])]
    refs = {r["type"]: str(r["id"]) for r in tweet.get("referenced_tweets", [])}
    reply_to_user = tweet.get("in_reply_to_user_id")
    reply_to_handle = users.get(str(reply_to_user), {}).get("username") if reply_to_user else None

    own = brands.is_brand(who.handle)
    ruled = _rule_brand(matching_rules)
    mentioned = brands.first_mentioned(mention_list)
    if own:
        handle, match = who.handle, Match(kind=MatchKind.OWN, rule=who.handle)
    elif mentioned is not None:
        handle, match = mentioned, Match(kind=MatchKind.MENTION, rule=f"@{mentioned}")
    elif brands.is_brand(reply_to_handle):
        handle = str(reply_to_handle)
        match = Match(kind=MatchKind.THREAD, rule=f"@{reply_to_handle}")
    elif ruled is not None:
        handle = brands.handle_for(ruled[0], tweet.get("lang")) or ruled[0]
        match = Match(kind=MatchKind.KEYWORD, rule=f"{ruled[0]}/{ruled[1]}")
    else:
        return None
    brand = brands.brand_of(handle) or (ruled[0] if ruled else None)
    if brand is None:
        return None
    customer = str(reply_to_user) if own and reply_to_user else author_id
    return build_event(
        tweet_id=tweet_id,
        conversation_id=str(tweet.get("conversation_id") or tweet_id),
        text=text,
        author=who,
        brand=brand,
        handle=handle,
        matched=[match],
        direction=Direction.OUTBOUND if own else Direction.INBOUND,
        customer_id=customer,
        created_at=created_at,
        received_at=received_at,
        source=source,
        in_reply_to_tweet_id=refs.get("replied_to"),
        in_reply_to_user_id=str(reply_to_user) if reply_to_user else None,
        retweet_of_id=refs.get("retweeted"),
        quoted_tweet_id=refs.get("quoted"),
        lang_hint=tweet.get("lang"),
        mention_list=mention_list,
        hashtag_list=[h["tag"] for h in entities.get("hashtags", [])],
        url_list=[u.get("expanded_url") or u["url"] for u in entities.get("urls", [])],
    )


def dm_event(
    event: Mapping[str, Any],
    users: Mapping[str, dict[str, Any]],
    brands: BrandMap,
    brand_user_ids: Mapping[str, str],
    *,
    received_at: datetime,
) -> TweetEvent | None:
    """A v2 DM event (``MessageCreate``) in a brand's DM conversation, channel ``dm``.

    ``brand_user_ids`` maps the brand accounts' user ids to their handles; a message the brand
    account sent is outbound.
    """
    if event.get("event_type", "MessageCreate") != "MessageCreate":
        return None
    try:
        event_id = str(event["id"])
        sender = str(event["sender_id"])
        conversation = str(event["dm_conversation_id"])
        created_at = parse_time(event["created_at"])
    except KeyError as exc:
        raise PayloadError(f"DM event {event.get('id')!r} lacks {exc.args[0]!r}") from exc
    participants = [p for p in conversation.split("-") if p]
    brand_ids = [p for p in participants if p in brand_user_ids]
    if not brand_ids:
        return None
    handle = brand_user_ids[brand_ids[0]]
    brand = brands.brand_of(handle)
    if brand is None:
        return None
    outbound = sender in brand_user_ids
    customer = next((p for p in participants if p not in brand_user_ids), sender)
    return build_event(
        tweet_id=event_id,
        conversation_id=conversation,
        text=str(event.get("text", "")),
        author=author(sender, users),
        brand=brand,
        handle=handle,
        matched=[Match(kind=MatchKind.OWN if outbound else MatchKind.DM, rule=handle)],
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        customer_id=customer,
        created_at=created_at,
        received_at=received_at,
        source=Source.X_DM,
        channel=Channel.DM,
        dm_conversation_id=conversation,
    )


def page_events(
    page: Mapping[str, Any],
    brands: BrandMap,
    *,
    received_at: datetime,
    source: Source,
) -> Iterator[TweetEvent]:
    """The events of one search page or stream line (``data`` an object or a list)."""
    data = page.get("data")
    tweets = data if isinstance(data, list) else ([data] if data else [])
    users = users_by_id(page.get("includes"))
    rules = page.get("matching_rules") or []
    for tweet in tweets:
        made = tweet_event(
            tweet, users, brands, received_at=received_at, source=source, matching_rules=rules
        )
        if made is not None:
            yield made
