"""Saved X API v2 JSON: a search page, a list of pages, or stream lines (one JSON per line)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from services.ingest.brands import BrandMap
from services.ingest.rejects import Rejected, keep
from services.ingest.x_payloads import PayloadError, page_events, parse_time, users_by_id
from services.plumbing.contracts.tweets import Source, TweetEvent


def pages(stream: TextIO, rejects: list[Rejected] | None = None) -> Iterator[dict[str, Any]]:
    """Each page or stream line in the file; a bad line raises ValueError naming it, or with
    ``rejects`` is kept there and skipped."""
    text = stream.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        yield from json.loads(stripped)
        return
    try:
        yield json.loads(stripped)
        return
    except json.JSONDecodeError:
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                parsed = json.loads(line)
            except json.JSONDecodeError as exc:
                keep(rejects, f"line {number}", ValueError(f"X v2 JSON line {number}: {exc}"),
                     line)  # fmt: skip
                continue
            yield parsed


def brand_handles(all_pages: list[dict[str, Any]]) -> set[str]:
    """Handles of the accounts that author tweets here and are verified brand accounts.

    Saved pages do not say which accounts are brands; this guess (verified authors) is only a
    default: pass ``--brand HANDLE=BRAND`` to be exact.
    """
    handles = set()
    for page in all_pages:
        for user in users_by_id(page.get("includes")).values():
            if user.get("verified"):
                handles.add(str(user["username"]))
    return handles


def events(
    all_pages: list[dict[str, Any]], brands: BrandMap, rejects: list[Rejected] | None = None
) -> Iterator[TweetEvent]:
    """The events of every page, in time order; received time is the tweet's own time. A bad
    tweet (with ``rejects``) is kept there and the rest of its page goes on."""
    found: list[TweetEvent] = []
    for page in all_pages:
        data = page.get("data")
        tweets = data if isinstance(data, list) else ([data] if data else [])
        for tweet in tweets:
            single = {**page, "data": [tweet]}
            try:
                received = parse_time(str(tweet.get("created_at", "1970-01-01T00:00:00.000Z")))
                found.extend(
                    page_events(single, brands, received_at=received, source=Source.REPLAY_X)
                )
            except (PayloadError, ValueError, KeyError, TypeError, AttributeError) as exc:
                where = tweet.get("id") if isinstance(tweet, dict) else "?"
                keep(rejects, f"tweet {where}", exc, tweet)
    for event in sorted(found, key=lambda e: (e.created_at, e.tweet_id)):
        yield event.model_copy(update={"received_at": event.created_at})
