"""A customer's cases with one brand (everything under one case key), as the SLA service holds it.

A case is one conversation (rooted by the reply links, or one DM conversation): it opens on the
first inbound tweet that needs a reply. The book keeps open cases and, for the reopen window,
closed ones; each case carries its version, which only grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.plumbing.casework import CLOSED, digest
from services.plumbing.contracts.cases import Case, CaseEvent, Change
from services.plumbing.contracts.common import format_utc_ms
from services.plumbing.contracts.outbox import OutboxReply


@dataclass(frozen=True)
class Held:
    """One case and its version (the number of changes applied to it)."""

    version: int
    case: Case


@dataclass(frozen=True)
class Step:
    """What one input did: the book after it, and what to publish."""

    book: tuple[Held, ...]
    events: list[CaseEvent] = field(default_factory=list)
    outbox: list[OutboxReply] = field(default_factory=list)
    webhooks: list[tuple[str, CaseEvent]] = field(default_factory=list)


def event(held: Held, change: Change, at: datetime, identity: str) -> CaseEvent:
    """The event for ``held`` after ``change``. Its id is a function of the case and what
    happened (``identity``: the tweet, the action, the clock and warning), never of the version,
    so the same happening applied again after a crash has the same id and consumers drop it."""
    return CaseEvent(
        event_id=digest("case-event", held.case.case_id, identity),
        case_version=held.version,
        occurred_at=at,
        change=change,
        case=held.case,
    )


def find(book: tuple[Held, ...], case_id: str) -> Held | None:
    return next((h for h in book if h.case.case_id == case_id), None)


def for_conversation(book: tuple[Held, ...], conversation_id: str) -> Held | None:
    """The newest case holding ``conversation_id``."""
    found = [h for h in book if conversation_id in h.case.conversation_ids]
    return max(found, key=lambda h: h.case.opened_at) if found else None


def replace(book: tuple[Held, ...], held: Held) -> tuple[Held, ...]:
    others = tuple(h for h in book if h.case.case_id != held.case.case_id)
    return (*others, held)


def prune(book: tuple[Held, ...], now: datetime, keep_seconds: float) -> tuple[Held, ...]:
    """Drop closed cases whose reopen window has passed (their history is in cases.events)."""
    return tuple(
        h
        for h in book
        if h.case.state not in CLOSED
        or (now - (h.case.resolved_at or h.case.updated_at)).total_seconds() <= keep_seconds
    )


def stamp(at: datetime) -> str:
    return format_utc_ms(at)
