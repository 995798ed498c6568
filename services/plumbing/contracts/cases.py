"""``cases.events`` (sla → api and anyone): every change to a case, with the whole case."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from services.plumbing.contracts.actions import Actor, Verdict
from services.plumbing.contracts.common import CaseKey, Channel, Event, Id, Part, Priority, UtcTime
from services.plumbing.contracts.tweets import Author, Sentiment, Topic


class CaseState(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED_NO_REPLY = "closed_no_reply"
    SPAM = "spam"


class ClockName(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    STOPPED = "stopped"


class Clock(Part):
    """One SLA clock. ``due_at`` is when it breaches if nothing happens (business hours applied)."""

    name: ClockName
    status: ClockStatus
    policy: str = Field(max_length=64)
    target_seconds: int = Field(gt=0)
    started_at: UtcTime = Field(description="When the clock last started or resumed")
    due_at: UtcTime | None = Field(default=None, description="None while paused or finished")
    remaining_seconds: float | None = Field(
        default=None, description="Business seconds left when paused"
    )
    warnings_fired: list[float] = Field(default_factory=list, description="Fractions already fired")
    warn_fractions: list[float] = Field(default_factory=list)
    met_at: UtcTime | None = None
    breached_at: UtcTime | None = None


class ThreadEntry(Part):
    """One item of the case's history: a tweet in or out, or an internal note."""

    kind: Literal["tweet", "note"]
    id: Id
    at: UtcTime
    direction: Literal["inbound", "outbound", "internal"]
    needs_reply: bool | None = None


class Case(Part):
    case_id: Id
    case_key: CaseKey
    brand: Id
    handle: str = Field(max_length=64)
    customer: Author
    channel: Channel
    state: CaseState
    queue: str = Field(min_length=1, max_length=64)
    priority: Priority
    vip: bool = False
    assignee: Actor | None = None
    tags: list[str] = Field(default_factory=list)
    topic: Topic | None = None
    lang: str | None = None
    sentiment: Sentiment | None = None
    model_version: str | None = Field(
        default=None,
        max_length=64,
        description="The triage model version that decided the opening tweet (its triaged "
        "event's model_version); None when not known (a case of an earlier producer)",
    )
    conversation_ids: list[Id] = Field(min_length=1)
    opening_tweet_id: Id
    last_customer_tweet_id: Id | None = None
    opened_at: UtcTime
    updated_at: UtcTime
    first_response_at: UtcTime | None = None
    last_response_at: UtcTime | None = None
    resolved_at: UtcTime | None = None
    reopen_count: int = Field(default=0, ge=0)
    clocks: list[Clock] = Field(default_factory=list)
    thread: list[ThreadEntry] = Field(default_factory=list)
    idempotency_keys: list[Id] = Field(
        default_factory=list,
        max_length=50,
        description="Keys of the replies applied to this case, newest last (at most 50): a "
        "reply with one of them is a repeat",
    )


class ChangeKind(StrEnum):
    OPENED = "opened"
    TWEET_ADDED = "tweet_added"
    RESPONDED = "responded"
    STATE_CHANGED = "state_changed"
    CLAIMED = "claimed"
    RELEASED = "released"
    REPLY_REQUESTED = "reply_requested"
    REPLY_POSTED = "reply_posted"
    REPLY_FAILED = "reply_failed"
    TRANSFERRED = "transferred"
    PRIORITY_CHANGED = "priority_changed"
    TAGGED = "tagged"
    NOTED = "noted"
    REOPENED = "reopened"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    ACTION_REJECTED = "action_rejected"
    CORRECTED = "corrected"
    UNCHANGED = "unchanged"


class Correction(Part):
    """What triage said of a tweet and what an agent said instead: self-contained, so a reader
    of ``cases.events`` learns from it without the rest of the history."""

    tweet_id: Id
    triage: Verdict
    agent: Verdict
    agent_id: Id
    at: UtcTime
    reason: str = Field(default="", max_length=200)


class Change(Part):
    kind: ChangeKind
    detail: str = Field(default="", max_length=500)
    tweet_id: Id | None = None
    clock: ClockName | None = None
    fraction: float | None = Field(default=None, description="Warning fraction, for sla_warning")
    due_at: UtcTime | None = None
    by: Actor | None = None
    correction: Correction | None = Field(
        default=None,
        description="Opened by hand, no-reply, spam, corrected: what triage and the agent said",
    )


class ActionOutcome(Part):
    """The answer to one agent action; the API matches it on ``action_id``."""

    action_id: Id
    status: Literal["applied", "rejected"]
    code: str = Field(
        default="ok",
        max_length=64,
        description="Stable code, e.g. claimed_by_other; applied: ok, or repeat (a reply with a "
        "key already applied) or already_open (the tweet has a case: this one)",
    )
    reason: str = Field(default="", max_length=500)


class CaseEvent(Event):
    """A change to one case with the case as it is after it. Key: ``case.case_key``.

    ``case_version`` only grows; an event that changes nothing (a rejected action) repeats the
    current version.
    """

    version: Literal[1] = 1
    case_version: int = Field(ge=1)
    occurred_at: UtcTime
    change: Change
    outcome: ActionOutcome | None = None
    case: Case
