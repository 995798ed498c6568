"""From raw tweet events to triaged ones: pure, batched, deterministic.

The event id of a triaged tweet is derived from the raw event's id, so a batch triaged twice
(after a crash, before the offsets were committed) produces the same events and consumers drop
the repeat.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from services.plumbing.contracts.tweets import TriagedTweet, TweetEvent
from services.triage.classify import TweetFacts, classify_batch
from services.triage.config import TriageConfig
from services.triage.model import TextModel

RULES_VERSION = "rules-1"


def triaged_event_id(raw_event_id: str) -> str:
    """The id of the triaged event made from the raw event ``raw_event_id``."""
    return hashlib.blake2b(f"triaged:{raw_event_id}".encode(), digest_size=16).hexdigest()


def model_version(model: TextModel | None) -> str:
    return model.version if model is not None else RULES_VERSION


def enrich(
    tweets: Sequence[TweetEvent],
    config: TriageConfig,
    model: TextModel | None,
    now: datetime,
) -> list[TriagedTweet]:
    """One triaged event per tweet, in order; the original text kept only where config allows."""
    triages = classify_batch([TweetFacts.of(t) for t in tweets], config, model)
    version = model_version(model)
    out = []
    for tweet, triage in zip(tweets, triages, strict=True):
        kept = config.keep_original_text
        stored = tweet if kept else tweet.model_copy(update={"text": triage.redacted_text})
        out.append(
            TriagedTweet(
                event_id=triaged_event_id(tweet.event_id),
                tweet=stored,
                triage=triage,
                model_version=version,
                triaged_at=now,
                original_text_kept=kept,
            )
        )
    return out
