"""Where the live sources hand their tweet events, and how a page becomes events.

A :class:`Sink` publishes events (to ``tweets.raw``) and rejects what cannot become one (to the
dead-letter topic, with the reason). ``publish`` returns only once the events are safely handed
over; the sources write their cursors after it returns, so it raises rather than drop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from services.ingest.brands import BrandMap
from services.ingest.x_payloads import PayloadError, page_events
from services.plumbing.contracts.tweets import Source, TweetEvent


class Sink(Protocol):
    def publish(self, events: Sequence[TweetEvent]) -> None:
        """Hand ``events`` over for good, or raise."""

    def reject(self, payload: Mapping[str, Any], reason: str) -> None:
        """Keep a payload that could not become an event, with why."""


def page_tweet_events(
    page: Mapping[str, Any],
    brands: BrandMap,
    sink: Sink,
    *,
    received_at: datetime,
    source: Source,
    matching_rules: Iterable[Mapping[str, Any]] | None = None,
) -> list[TweetEvent]:
    """The events of a v2 page or stream line, oldest first; each bad tweet goes to ``sink.reject``.

    ``matching_rules`` (``[{"id", "tag"}]``) stands in for a search page's missing rules, so a
    keyword search's tweets carry the rule's brand as a stream line would.
    """
    data = page.get("data")
    tweets = data if isinstance(data, list) else ([data] if data else [])
    rules = list(matching_rules) if matching_rules is not None else page.get("matching_rules")
    events: list[TweetEvent] = []
    for tweet in tweets:
        # One tweet at a time through the shared normaliser: one bad tweet must not sink a page.
        single = {"data": [tweet], "includes": page.get("includes"), "matching_rules": rules}
        try:
            events.extend(page_events(single, brands, received_at=received_at, source=source))
        except (PayloadError, ValidationError, KeyError, TypeError, ValueError) as exc:
            sink.reject(tweet, f"{type(exc).__name__}: {exc}")
    return sorted(events, key=lambda e: (e.created_at, len(e.tweet_id), e.tweet_id))
