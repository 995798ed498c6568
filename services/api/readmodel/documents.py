"""What the read model stores: a case document, a case-event document and a tweet document. Pure.

A case document is the case snapshot of its newest event plus fields derived from it for queues
and statistics; it is written with Elasticsearch's external versioning (``case_version``), so an
older snapshot arriving late never replaces a newer one. A case-event document is one change,
without the snapshot (a case's history would otherwise grow with the square of its events), with
the agents' verdicts on triage it says (``verdicts``: label, queue, language, model version,
agreed or overturned; :mod:`services.plumbing.agreement`), which the agreement report counts. A
tweet document is the tweet with triage's decisions; its ``text`` is what the triage
configuration allows to keep (the redacted text when ``original_text_kept`` is false).

Derived fields of a case document:

- ``open``: the state is not resolved, closed without reply, or spam.
- ``next_due_at``: the earliest ``due_at`` of the running clocks (None when none runs).
- ``breached``: the case is open and a clock breached and was not answered since (a first
  response given late no longer counts as an outstanding breach; a breached resolution clock
  does until the case closes).
- ``warned``: the case is open, not breached, and a running clock fired a warning.
- ``first_response_seconds``: wall-clock seconds from opening to the first brand response.
- ``sla``: per clock, ``met``, ``breached``, ``pending`` (running or paused) or ``stopped``.

How each kind is indexed is in :mod:`services.api.readmodel.indices`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.api.readmodel.indices import CASE_EVENTS, CASES, TWEETS, index_name
from services.plumbing.agreement import verdicts
from services.plumbing.contracts.cases import Case, CaseEvent, CaseState, Clock, ClockStatus
from services.plumbing.contracts.common import format_utc_ms
from services.plumbing.contracts.tweets import TriagedTweet

CLOSED_STATES = frozenset({CaseState.RESOLVED, CaseState.CLOSED_NO_REPLY, CaseState.SPAM})
OPEN_STATES = frozenset(CaseState) - CLOSED_STATES
_CASE_FIELDS = frozenset(Case.model_fields)


def _ms(value: datetime | None) -> str | None:
    return format_utc_ms(value) if value is not None else None


def is_open(case: Case) -> bool:
    return case.state not in CLOSED_STATES


def next_due_at(case: Case) -> datetime | None:
    """The earliest due time of the running clocks, or None when no clock runs."""
    due = [c.due_at for c in case.clocks if c.status == ClockStatus.RUNNING and c.due_at]
    return min(due, default=None)


def is_breached(case: Case) -> bool:
    """Open, with a clock breached and not answered since."""
    return is_open(case) and any(
        c.status == ClockStatus.BREACHED and c.met_at is None for c in case.clocks
    )


def is_warned(case: Case) -> bool:
    """Open, not breached, and a running clock has fired a warning."""
    return (
        is_open(case)
        and not is_breached(case)
        and any(c.status == ClockStatus.RUNNING and c.warnings_fired for c in case.clocks)
    )


def clock_outcome(clock: Clock) -> str:
    """``breached`` (even when answered late), ``met``, ``pending`` or ``stopped``."""
    if clock.breached_at is not None:
        return "breached"
    if clock.status == ClockStatus.MET:
        return "met"
    if clock.status in (ClockStatus.RUNNING, ClockStatus.PAUSED):
        return "pending"
    return "stopped"


def first_response_seconds(case: Case) -> float | None:
    if case.first_response_at is None:
        return None
    return (case.first_response_at - case.opened_at).total_seconds()


def case_document(event: CaseEvent, wire: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The case of ``event`` with its version and derived fields (JSON-ready).

    ``wire``: the case as the validated message spelled it (its ``case`` object, parsed), used
    as it is when it has every field of a case — what ``model_dump(mode="json")`` would give,
    at a third of the cost; otherwise (an older producer's message without a newer optional
    field) the case is dumped from the model."""
    case = event.case
    doc = (
        dict(wire)
        if wire is not None and len(wire) == len(_CASE_FIELDS)
        else case.model_dump(mode="json")
    )
    doc.update(
        {
            "case_version": event.case_version,
            "event_id": event.event_id,
            "occurred_at": format_utc_ms(event.occurred_at),
            "last_change": event.change.kind.value,
            "open": is_open(case),
            "next_due_at": _ms(next_due_at(case)),
            "breached": is_breached(case),
            "warned": is_warned(case),
            "first_response_seconds": first_response_seconds(case),
            "sla": {c.name.value: clock_outcome(c) for c in case.clocks},
            "tweet_ids": [e.id for e in case.thread if e.kind == "tweet"],
            "responses": sum(1 for e in case.thread if e.direction == "outbound"),
        }
    )
    return doc


def case_of(doc: dict[str, Any]) -> Case:
    """The :class:`Case` inside a case document (the inverse of :func:`case_document`)."""
    return Case.model_validate({k: v for k, v in doc.items() if k in _CASE_FIELDS})


def case_event_document(event: CaseEvent) -> dict[str, Any]:
    """One change to a case, with the case's routing fields after it but not its snapshot."""
    case, change = event.case, event.change
    return {
        "event_id": event.event_id,
        "case_id": case.case_id,
        "case_key": case.case_key,
        "case_version": event.case_version,
        "occurred_at": format_utc_ms(event.occurred_at),
        "kind": change.kind.value,
        "detail": change.detail,
        "tweet_id": change.tweet_id,
        "clock": change.clock.value if change.clock else None,
        "fraction": change.fraction,
        "due_at": _ms(change.due_at),
        "by": change.by.model_dump(mode="json") if change.by else None,
        "outcome": event.outcome.model_dump(mode="json") if event.outcome else None,
        "brand": case.brand,
        "handle": case.handle,
        "queue": case.queue,
        "priority": case.priority.value,
        "state": case.state.value,
        "assignee": case.assignee.model_dump(mode="json") if case.assignee else None,
        "verdicts": [asdict(v) for v in verdicts(event)],
    }


def tweet_document(event: TriagedTweet) -> dict[str, Any]:
    """The tweet with triage's decisions; ``text`` is redacted unless the original may be kept."""
    tweet, triage = event.tweet, event.triage
    redacted = triage.redacted_text or (tweet.text if not triage.pii else "")
    doc = tweet.model_dump(mode="json", exclude={"version", "event_id"})
    doc.update(
        {
            "event_id": event.event_id,
            "text": tweet.text if event.original_text_kept else redacted,
            "redacted_text": redacted,
            "original_text_kept": event.original_text_kept,
            "lang": triage.lang,
            "topic": triage.topic.value,
            "complaint": triage.complaint,
            "sentiment": triage.sentiment.value,
            "sentiment_score": triage.sentiment_score,
            "needs_reply": triage.needs_reply,
            "needs_reply_reason": triage.needs_reply_reason,
            "spam": triage.spam,
            "pii": [p.value for p in triage.pii],
            "move_to_dm": triage.move_to_dm,
            "influence": triage.influence.model_dump(mode="json"),
            "urgency": list(triage.urgency),
            "priority": triage.priority.value,
            "queue": triage.queue,
            "reasons": [r.model_dump(mode="json") for r in triage.reasons],
            "model_version": event.model_version,
            "triaged_at": format_utc_ms(event.triaged_at),
        }
    )
    return doc


def tweet_operation(event: TriagedTweet, prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bulk ``index`` action and source of a tweet (id: the tweet id, last write wins)."""
    meta = {"index": {"_index": index_name(prefix, TWEETS), "_id": event.tweet.tweet_id}}
    return meta, tweet_document(event)


def case_operations(
    event: CaseEvent, prefix: str, wire: Mapping[str, Any] | None = None
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Bulk actions of a case event: the case document, versioned externally by
    ``case_version`` (an older or equal version is refused with 409), and the event document
    (id: the event id, so a repeat overwrites itself). ``wire``: see :func:`case_document`."""
    case_meta = {
        "index": {
            "_index": index_name(prefix, CASES),
            "_id": event.case.case_id,
            "version": event.case_version,
            "version_type": "external",
        }
    }
    event_meta = {"index": {"_index": index_name(prefix, CASE_EVENTS), "_id": event.event_id}}
    return [(case_meta, case_document(event, wire)), (event_meta, case_event_document(event))]
