"""Cases, case events and triaged tweets for the read-model tests (our own words)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.plumbing.contracts.actions import Actor, Role
from services.plumbing.contracts.cases import (
    Case,
    CaseEvent,
    CaseState,
    Change,
    ChangeKind,
    Clock,
    ClockName,
    ClockStatus,
    ThreadEntry,
)
from services.plumbing.contracts.common import Channel, Direction, Priority, case_key
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

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
CUSTOMER = Author(id="4001", handle="kumiko_t", name="Kumiko", followers=210, location="Osaka")
AGENT = Actor(id="agent-a", name="Aiko", role=Role.AGENT)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def clock(
    name: ClockName = ClockName.FIRST_RESPONSE,
    status: ClockStatus = ClockStatus.RUNNING,
    *,
    due: datetime | None = None,
    started: datetime = T0,
    warned: bool = False,
    met_at: datetime | None = None,
    breached_at: datetime | None = None,
) -> Clock:
    return Clock(
        name=name, status=status, policy="default", target_seconds=3600, started_at=started,
        due_at=due, warnings_fired=[0.5] if warned else [], warn_fractions=[0.5, 0.8],
        met_at=met_at, breached_at=breached_at,
    )  # fmt: skip


def inbound(tweet_id: str, when: datetime) -> ThreadEntry:
    return ThreadEntry(kind="tweet", id=tweet_id, at=when, direction="inbound", needs_reply=True)


def outbound(tweet_id: str, when: datetime) -> ThreadEntry:
    return ThreadEntry(kind="tweet", id=tweet_id, at=when, direction="outbound")


def case(case_id: str, **fields: Any) -> Case:
    """A case of acme with ``fields`` applied; by default new, P3, opened at T0, one tweet."""
    customer: Author = fields.pop("customer", CUSTOMER)
    opened: datetime = fields.get("opened_at", T0)
    opening = fields.get("opening_tweet_id", f"t-{case_id}")
    base: dict[str, Any] = {
        "case_id": case_id, "case_key": case_key("acme", customer.id), "brand": "acme",
        "handle": "acme_jp", "customer": customer, "channel": Channel.PUBLIC,
        "state": CaseState.NEW, "queue": "care", "priority": Priority.P3,
        "conversation_ids": [opening], "opening_tweet_id": opening, "opened_at": opened,
        "updated_at": opened, "thread": [inbound(opening, opened)],
    }  # fmt: skip
    base.update(fields)
    return Case(**base)


def case_event(
    subject: Case,
    version: int,
    kind: ChangeKind = ChangeKind.OPENED,
    *,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
    clock_name: ClockName | None = None,
) -> CaseEvent:
    return CaseEvent(
        event_id=event_id or uuid.uuid4().hex,
        case_version=version,
        occurred_at=occurred_at or subject.updated_at,
        change=Change(kind=kind, clock=clock_name),
        case=subject,
    )


def triaged_tweet(tweet_id: str, text: str, **fields: Any) -> TriagedTweet:
    """A triaged inbound tweet; ``fields`` override the tweet (``author``, ``created_at``, ...)
    or triage (``topic``, ``lang``, ``sentiment``, ``redacted_text``, ``pii`` ...) fields, and
    ``original_text_kept``."""
    triage_fields = {k: fields.pop(k) for k in list(fields) if k in Triage.model_fields}
    kept = fields.pop("original_text_kept", True)
    author: Author = fields.get("author", CUSTOMER)
    created: datetime = fields.pop("created_at", T0)
    tweet = tweet_event(
        tweet_id, text, created_at=created, received_at=created,
        case_key=case_key(fields.get("brand", "acme"), author.id), **fields,
    )  # fmt: skip
    triage: dict[str, Any] = {
        "lang": "en", "topic": Topic.DELIVERY, "complaint": True,
        "sentiment": Sentiment.NEGATIVE, "sentiment_score": -0.5, "needs_reply": True,
        "needs_reply_reason": "complaint", "spam": False, "move_to_dm": False,
        "redacted_text": text,
        "influence": Influence(
            tier=InfluenceTier.LOW, followers=author.followers or 0, verified=False, vip=False
        ),
        "priority": Priority.P3, "queue": "care",
    }  # fmt: skip
    triage.update(triage_fields)
    if tweet.direction == Direction.OUTBOUND:
        triage["needs_reply"] = False
    return TriagedTweet(
        event_id=uuid.uuid4().hex,
        tweet=tweet,
        triage=Triage(**triage),
        model_version="rules-1",
        triaged_at=created,
        original_text_kept=kept,
    )
