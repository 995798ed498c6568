"""Backtest: a file's history through the same pure case and SLA code, on event time.

Every tweet is applied at its own ``created_at``; before each one, the warnings and breaches due
earlier fire; after the last, every clock still running runs out (a case never answered within
the file counts as breached). Support datasets hold only conversations addressed to the brand, so
by default every inbound tweet needs a reply; ``--triage rules`` asks the triage rules instead.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO

from services.plumbing.contracts.cases import Case, ChangeKind, ClockName, ClockStatus
from services.plumbing.contracts.common import Direction, Priority, format_utc_ms
from services.plumbing.contracts.tweets import (
    Influence,
    InfluenceTier,
    Sentiment,
    Topic,
    Triage,
    TriagedTweet,
    TweetEvent,
)
from services.sla.book import Held
from services.sla.due_heap import DueHeap
from services.sla.policies import Policy
from services.sla.ticks import next_due, on_tick
from services.sla.tweets import on_tweet

EPSILON = timedelta(milliseconds=1)
CASE_COLUMNS = [
    "case_id",
    "brand",
    "handle",
    "customer_id",
    "queue",
    "opening_tweet_id",
    "opened_at",
    "first_response_at",
    "first_response_seconds",
    "first_response_breached",
    "responses",
    "state",
]


def assume_every_inbound(tweet: TweetEvent) -> Triage:
    """The backtest's default triage: inbound tweets need a reply, the brand's do not."""
    inbound = tweet.direction == Direction.INBOUND
    return Triage(
        lang=tweet.lang_hint if tweet.lang_hint and len(tweet.lang_hint) == 2 else "und",
        topic=Topic.OTHER,
        complaint=False,
        sentiment=Sentiment.NEUTRAL,
        sentiment_score=0.0,
        needs_reply=inbound,
        needs_reply_reason="backtest: inbound" if inbound else "brand's own tweet",
        spam=False,
        move_to_dm=False,
        redacted_text="",
        influence=Influence(
            tier=InfluenceTier.LOW, followers=tweet.author.followers or 0, verified=False, vip=False
        ),
        priority=Priority.P3,
        queue="general",
    )


def one_case_per_conversation(events: Sequence[TweetEvent]) -> list[TweetEvent]:
    """Key every tweet of a conversation to the customer who opened it (the IBM definition of a
    case: a reply to a second customer in the thread still answers the conversation)."""
    opener: dict[str, str] = {}
    for tweet in sorted(events, key=lambda e: (e.created_at, e.tweet_id)):
        if tweet.direction == Direction.INBOUND:
            opener.setdefault(tweet.conversation_id, tweet.case_key)
    return [
        e.model_copy(update={"case_key": opener[e.conversation_id]})
        if opener.get(e.conversation_id, e.case_key) != e.case_key
        else e
        for e in events
    ]


@dataclass
class Outcome:
    cases: list[Case]
    warnings: int = 0
    breaches: Counter[str] = field(default_factory=Counter)


def run(
    events: Sequence[TweetEvent],
    policy: Policy,
    triage: Callable[[Sequence[TweetEvent]], list[Triage]],
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Outcome:
    """Replay ``events`` (any order: sorted by time here) and return every case at the end."""
    ordered = sorted(events, key=lambda e: (e.created_at, e.tweet_id))
    books: dict[str, tuple[Held, ...]] = {}
    heap = DueHeap()
    outcome = Outcome([])

    def tick(now: datetime) -> None:
        for key in heap.pop_due(now):
            step = on_tick(books[key], policy, now)
            books[key] = step.book
            for e in step.events:
                if e.change.kind == ChangeKind.SLA_WARNING:
                    outcome.warnings += 1
                elif e.change.clock is not None:
                    outcome.breaches[e.change.clock.value] += 1
            heap.schedule(key, next_due(step.book, policy))

    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        for tweet, decided in zip(chunk, triage(chunk), strict=True):
            tick(tweet.created_at - EPSILON)
            tt = TriagedTweet(
                event_id=tweet.event_id, tweet=tweet, triage=decided,
                model_version="backtest", triaged_at=tweet.created_at,
            )  # fmt: skip
            key = tweet.case_key
            step = on_tweet(books.get(key, ()), tt, policy)
            books[key] = step.book
            heap.schedule(key, next_due(step.book, policy))
        progress(start + len(chunk), len(ordered))
    while (last := heap.next_at()) is not None:
        tick(last)  # the file has ended: whatever is still running runs out
    outcome.cases = sorted(
        (h.case for book in books.values() for h in book), key=lambda c: (c.opened_at, c.case_id)
    )
    return outcome


def _clock(case: Case, name: ClockName) -> Any:
    return next((c for c in case.clocks if c.name == name), None)


def case_row(case: Case) -> dict[str, str]:
    first = _clock(case, ClockName.FIRST_RESPONSE)
    responded = case.first_response_at
    seconds = (responded - case.opened_at).total_seconds() if responded else None
    return {
        "case_id": case.case_id,
        "brand": case.brand,
        "handle": case.handle,
        "customer_id": case.customer.id,
        "queue": case.queue,
        "opening_tweet_id": case.opening_tweet_id,
        "opened_at": format_utc_ms(case.opened_at),
        "first_response_at": format_utc_ms(responded) if responded else "",
        "first_response_seconds": f"{seconds:.3f}" if seconds is not None else "",
        "first_response_breached": str(first is not None and first.breached_at is not None).lower(),
        "responses": str(sum(1 for e in case.thread if e.direction == "outbound")),
        "state": case.state.value,
    }


def write_cases(cases: Sequence[Case], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=CASE_COLUMNS)
    writer.writeheader()
    for case in cases:
        writer.writerow(case_row(case))


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summary(outcome: Outcome, policy: Policy, source: str) -> dict[str, Any]:
    """Cases, first-response p50/p90, attainment per clock and per queue, breaches, warnings."""
    cases = outcome.cases
    waits = [
        (c.first_response_at - c.opened_at).total_seconds() for c in cases if c.first_response_at
    ]
    attainment: dict[str, dict[str, Any]] = {}
    by_queue: dict[str, list[bool]] = {}
    for name in ClockName:
        met = breached = 0
        for case in cases:
            for clock in case.clocks:
                if clock.name != name or clock.status == ClockStatus.STOPPED:
                    continue
                if clock.breached_at is not None:
                    breached += 1
                elif clock.status == ClockStatus.MET:
                    met += 1
                if name == ClockName.FIRST_RESPONSE and clock.status != ClockStatus.RUNNING:
                    by_queue.setdefault(case.queue, []).append(clock.breached_at is None)
        if met or breached:
            attainment[name.value] = {
                "met": met, "breached": breached, "attainment": round(met / (met + breached), 4),
            }  # fmt: skip
    return {
        "source": source,
        "policy": policy.spec.model_dump(mode="json"),
        "cases": len(cases),
        "answered": len(waits),
        "first_response_seconds": {
            "p50": _round(_percentile(waits, 50)),
            "p90": _round(_percentile(waits, 90)),
            "mean": round(statistics.fmean(waits), 1) if waits else None,
        },
        "attainment": attainment,
        "first_response_attainment_by_queue": {
            q: round(sum(v) / len(v), 4) for q, v in sorted(by_queue.items())
        },
        "breaches": dict(outcome.breaches),
        "warnings": outcome.warnings,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
