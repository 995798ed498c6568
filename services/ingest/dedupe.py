"""Publish each tweet once: a bounded window of seen ids, retweet handling.

The same tweet arrives from the filtered stream, a mention poll and a keyword search; a bounded
window (plus the idempotent producer and deterministic event ids) publishes it once. Retweets
carry nothing to answer: they are dropped, or collapsed (counted per original), as configured.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum

from services.plumbing.contracts.tweets import TweetEvent


class RetweetPolicy(StrEnum):
    DROP = "drop"
    COLLAPSE = "collapse"
    KEEP = "keep"


class Verdict(StrEnum):
    PUBLISH = "publish"
    DUPLICATE = "duplicate"
    RETWEET_DROPPED = "retweet_dropped"
    RETWEET_COLLAPSED = "retweet_collapsed"


class SeenWindow:
    """The last ``capacity`` ids seen; memory stays bounded whatever the stream."""

    def __init__(self, capacity: int = 1_000_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, key: str) -> bool:
        """Record ``key``; True when it is new within the window."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True


@dataclass
class Admission:
    """Decides, tweet by tweet, whether to publish; counts what it held back."""

    retweets: RetweetPolicy = RetweetPolicy.DROP
    window: SeenWindow = field(default_factory=SeenWindow)
    counts: Counter[Verdict] = field(default_factory=Counter)
    retweets_of: Counter[str] = field(default_factory=Counter)

    def decide(self, event: TweetEvent) -> Verdict:
        verdict = self._decide(event)
        self.counts[verdict] += 1
        return verdict

    def _decide(self, event: TweetEvent) -> Verdict:
        if event.retweet_of_id is not None and self.retweets != RetweetPolicy.KEEP:
            if self.retweets == RetweetPolicy.DROP:
                return Verdict.RETWEET_DROPPED
            self.retweets_of[event.retweet_of_id] += 1
            return Verdict.RETWEET_COLLAPSED
        # Keyed by channel too: a DM event id and a tweet id live in different spaces.
        if not self.window.add(f"{event.channel.value}:{event.tweet_id}"):
            return Verdict.DUPLICATE
        return Verdict.PUBLISH
