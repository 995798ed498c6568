"""Triaged tweets and actions for the SLA tests (our own words)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.plumbing.contracts.actions import AGENT_ACTION, Actor, AgentAction, Role
from services.plumbing.contracts.common import Channel, Direction, Priority
from services.plumbing.contracts.tweets import (
    Author,
    Influence,
    InfluenceTier,
    Sentiment,
    Topic,
    Triage,
    TriagedTweet,
)
from tests.factories.tweets import tweet_event

CUSTOMER = Author(id="4001", handle="kumiko_t", followers=210)
BRAND = Author(id="9000", handle="acme_jp", followers=50_000)
AGENT_A = Actor(id="agent-a", name="Aiko", role=Role.AGENT)
AGENT_B = Actor(id="agent-b", name="Ben", role=Role.AGENT)


def triaged(
    tweet_id: str, at: datetime, *, outbound: bool = False, needs_reply: bool = True,
    conversation: str = "100", channel: Channel = Channel.PUBLIC, queue: str = "general",
    customer: Author = CUSTOMER,
) -> TriagedTweet:  # fmt: skip
    tweet = tweet_event(
        tweet_id,
        "@acme_jp thanks, looking into it" if outbound else "@acme_jp my parcel is late",
        author=BRAND if outbound else customer,
        case_key=f"acme:{customer.id}",
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        conversation_id=conversation,
        channel=channel,
        created_at=at,
        received_at=at,
    )
    return TriagedTweet(
        event_id=uuid.uuid4().hex,
        tweet=tweet,
        triage=Triage(
            lang="en",
            topic=Topic.DELIVERY,
            complaint=True,
            sentiment=Sentiment.NEGATIVE,
            sentiment_score=-0.5,
            needs_reply=needs_reply and not outbound,
            needs_reply_reason="complaint",
            spam=False,
            move_to_dm=False,
            redacted_text="",
            influence=Influence(tier=InfluenceTier.LOW, followers=210, verified=False, vip=False),
            priority=Priority.P3,
            queue=queue,
        ),
        model_version="rules-1",
        triaged_at=at,
    )


def action(
    kind: str, case_id: str, at: datetime, actor: Actor = AGENT_A, **extra: Any
) -> AgentAction:
    return AGENT_ACTION.validate_python(
        {
            "event_id": uuid.uuid4().hex, "kind": kind, "case_id": case_id,
            "case_key": "acme:4001", "actor": actor.model_dump(), "requested_at": at, **extra,
        }
    )  # fmt: skip
