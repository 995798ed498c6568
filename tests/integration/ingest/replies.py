"""Agents' replies as the outbox receives them, for the ingest tests against the fake X."""

from __future__ import annotations

from datetime import UTC, datetime

from services.plumbing.contracts.actions import Actor, Role
from services.plumbing.contracts.common import Channel
from services.plumbing.contracts.outbox import OutboxReply


def public_reply(reply_id: str, customer_tweet: dict[str, str]) -> OutboxReply:
    """A public reply from @AcmeHelp to ``customer_tweet`` (a fake X tweet); its text names
    ``reply_id``, so its posts can be counted at the fake X."""
    return OutboxReply(
        event_id=f"e-{reply_id}", reply_id=reply_id, case_id=f"c-{reply_id}",
        case_key=f"acme:{customer_tweet['author_id']}", brand="acme", handle="AcmeHelp",
        channel=Channel.PUBLIC, in_reply_to_tweet_id=customer_tweet["id"],
        text=f"Sorry about that ({reply_id}): we are on it.",
        requested_by=Actor(id="a1", name="Aiko", role=Role.AGENT),
        requested_at=datetime(2026, 11, 22, 6, 0, tzinfo=UTC),
    )  # fmt: skip
