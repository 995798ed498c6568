"""The brand's own reply as a tweet event, the moment X accepted it (pure).

A posted reply also comes back from X later (the stream's ``from:`` rule, the account's timeline);
publishing it at once stops the SLA clock without waiting for that, and the duplicate window drops
the later copy (same tweet id, same event id).
"""

from __future__ import annotations

from datetime import datetime

from services.ingest.normalise import build_event
from services.plumbing.contracts.common import Channel, Direction
from services.plumbing.contracts.outbox import OutboxReply
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TweetEvent


def posted_reply(reply: OutboxReply, tweet_id: str, brand_user_id: str, at: datetime) -> TweetEvent:
    """The outbound event of ``reply`` posted as ``tweet_id`` by the brand account."""
    customer_id = reply.case_key.split(":", 1)[1]
    dm = reply.channel == Channel.DM
    conversation = (reply.dm_conversation_id if dm else reply.in_reply_to_tweet_id) or tweet_id
    return build_event(
        tweet_id=tweet_id,
        conversation_id=conversation,
        text=reply.text,
        author=Author(id=brand_user_id, handle=reply.handle),
        brand=reply.brand,
        handle=reply.handle,
        matched=[Match(kind=MatchKind.OWN, rule=reply.handle)],
        direction=Direction.OUTBOUND,
        customer_id=customer_id,
        created_at=at,
        received_at=at,
        source=Source.X_OWN,
        channel=reply.channel,
        in_reply_to_tweet_id=None if dm else reply.in_reply_to_tweet_id,
        in_reply_to_user_id=customer_id,
        dm_conversation_id=reply.dm_conversation_id if dm else None,
    )
