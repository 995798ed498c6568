"""The customer's first tweet of a case, triaged as the SLA backtest does (our own words).

Built from services code (ingest's normaliser, the backtest's every-inbound triage), so a
benchmark needs nothing from tests/.
"""

from __future__ import annotations

from datetime import datetime

from services.ingest.normalise import build_event
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TriagedTweet
from services.sla.whatif import assume_every_inbound

TEXT = (
    "@acme_help my parcel has not arrived, the tracking page has said 'out for delivery' "
    "for three days now. Can someone look into it?"
)


def opening_tweet(tweet_id: str, customer: Author, at: datetime) -> TriagedTweet:
    """``customer``'s inbound tweet to acme at ``at``, needing a reply (queue ``general``)."""
    tweet = build_event(
        tweet_id=tweet_id,
        conversation_id=tweet_id,
        text=TEXT,
        author=customer,
        brand="acme",
        handle="acme_help",
        matched=[Match(kind=MatchKind.MENTION, rule="@acme_help")],
        direction=Direction.INBOUND,
        customer_id=customer.id,
        created_at=at,
        received_at=at,
        source=Source.X_STREAM,
    )
    return TriagedTweet(
        event_id="t" + tweet.event_id[:30],
        tweet=tweet,
        triage=assume_every_inbound(tweet),
        model_version="rules-1",
        triaged_at=at,
    )
