"""Publish each tweet once: a bounded window of seen ids, retweet handling.

The same tweet arrives from the filtered stream, a mention poll and a keyword search; a bounded
window (plus the idempotent producer and deterministic event ids) publishes it once. Retweets
carry nothing to answer: they are dropped, or collapsed (counted per original), as configured.

A live source's tweet counts as seen only once Kafka acknowledged it (:meth:`Admission.reserve`,
then :meth:`~Admission.confirm` or :meth:`~Admission.release`): a send that failed leaves it
unseen, so the source's retry publishes it instead of holding it back as a duplicate.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable
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

    def touch(self, key: str) -> bool:
        """True when ``key`` is in the window (it is then kept as the most recent)."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return True
        return False

    def add(self, key: str) -> bool:
        """Record ``key``; True when it is new within the window."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True


def _key(event: TweetEvent) -> str:
    # Keyed by channel too: a DM event id and a tweet id live in different spaces.
    return f"{event.channel.value}:{event.tweet_id}"


@dataclass
class Admission:
    """Decides, tweet by tweet, whether to publish; counts what it held back."""

    retweets: RetweetPolicy = RetweetPolicy.DROP
    window: SeenWindow = field(default_factory=SeenWindow)
    counts: Counter[Verdict] = field(default_factory=Counter)
    retweets_of: Counter[str] = field(default_factory=Counter)
    in_flight: set[str] = field(default_factory=set)

    def decide(self, event: TweetEvent) -> Verdict:
        """The verdict, with a published tweet counted as seen at once (file replays, which
        stop at a failed send)."""
        verdict = self._decide(event)
        if verdict is Verdict.PUBLISH:
            self.window.add(_key(event))
        return verdict

    def reserve(self, events: Iterable[TweetEvent]) -> list[TweetEvent]:
        """The events to publish, in order. Each is in flight, a duplicate to any other source,
        until :meth:`confirm` (Kafka acknowledged it) or :meth:`release` (the send failed)."""
        admitted = []
        for event in events:
            if self._decide(event) is Verdict.PUBLISH:
                self.in_flight.add(_key(event))
                admitted.append(event)
        return admitted

    def confirm(self, events: Iterable[TweetEvent]) -> None:
        """Reserved events that Kafka acknowledged: seen from now on."""
        for event in events:
            self.in_flight.discard(_key(event))
            self.window.add(_key(event))

    def release(self, events: Iterable[TweetEvent]) -> None:
        """Reserved events whose send failed: unseen again, so a retry publishes them."""
        for event in events:
            self.in_flight.discard(_key(event))

    def _decide(self, event: TweetEvent) -> Verdict:
        verdict = self._verdict(event)
        self.counts[verdict] += 1
        return verdict

    def _verdict(self, event: TweetEvent) -> Verdict:
        if event.retweet_of_id is not None and self.retweets != RetweetPolicy.KEEP:
            if self.retweets == RetweetPolicy.DROP:
                return Verdict.RETWEET_DROPPED
            self.retweets_of[event.retweet_of_id] += 1
            return Verdict.RETWEET_COLLAPSED
        key = _key(event)
        if key in self.in_flight or self.window.touch(key):
            return Verdict.DUPLICATE
        return Verdict.PUBLISH
