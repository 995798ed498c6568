"""Labels from the case history: what triage said of each customer tweet and what agents
decided instead. Pure: the events and tweets come in, rows go out (``history.py`` reads Kafka).

Agents decide in two ways. Explicitly, with a correction (``correct``: topic, sentiment,
needs-reply, spam). Implicitly, by what they do: a case opened by hand (要対応) needed a reply;
対応しない needed none and spam is spam; a brand reply that apologises answered a complaint (and
an unhappy customer), one glad to hear answered a happy one; a transfer says the queue. Each
signal is a :class:`Signal` with its source; :func:`winner` decides which one a row keeps per
field: explicit before implicit (``RANK``), and of equal rank the latest (an agent who changed
their mind). A needs-no-reply verdict also says "no complaint" (triage answers every complaint),
at the lowest rank: any other complaint signal beats it.

Rows name the source of every label, so a person can audit the file, and carry ``complaint``
and ``sentiment`` columns as ``triage train --data`` reads them (empty: no label).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.plumbing.contracts.actions import Verdict
from services.plumbing.contracts.cases import CaseEvent, ChangeKind
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.tweets import TriagedTweet
from services.triage.conversations import reply_tone

Field = Literal["complaint", "sentiment", "topic", "needs_reply", "spam", "queue"]
FIELDS: tuple[Field, ...] = ("complaint", "sentiment", "topic", "needs_reply", "spam", "queue")

# Which source wins a field: lower first. A correction is an agent saying what the tweet is;
# what they did to the case says it less directly; a reply's tone less still; "no reply needed,
# so no complaint" is an inference and yields to everything.
RANK: dict[str, int] = {
    "corrected": 0,
    "opened_by_hand": 1,
    "no_reply": 1,
    "spam": 1,
    "transferred": 1,
    "replied": 2,
    "reply_apology": 2,
    "reply_glad": 2,
    "no_reply_implied": 3,
}

COLUMNS: tuple[str, ...] = (
    "tweet_id", "brand", "lang", "created_at", "text", "model_version",
    "triage_complaint", "triage_sentiment", "triage_topic", "triage_needs_reply",
    "triage_spam", "triage_queue",
    *(c for f in FIELDS for c in (f, f"{f}_source")),
    "agents", "decided_at",
)  # fmt: skip


@dataclass(frozen=True)
class Signal:
    """One thing agents said of a tweet's ``field``, with where it came from."""

    tweet_id: str
    field: Field
    value: str
    source: str
    at: datetime
    agent: str = ""


def _flag(value: bool) -> str:
    return "1" if value else "0"


def winner(signals: Iterable[Signal]) -> Signal | None:
    """The signal that decides a field: the best-ranked source, of those the latest."""
    return min(signals, key=lambda s: (RANK[s.source], -s.at.timestamp()), default=None)


def _verdict(
    tweet_id: str, verdict: Verdict, source: str, at: datetime, agent: str
) -> list[Signal]:
    out = []
    if verdict.topic is not None:
        out.append(Signal(tweet_id, "topic", verdict.topic.value, source, at, agent))
    if verdict.sentiment is not None:
        out.append(Signal(tweet_id, "sentiment", verdict.sentiment.value, source, at, agent))
    if verdict.spam is not None:
        out.append(Signal(tweet_id, "spam", _flag(verdict.spam), source, at, agent))
    if verdict.needs_reply is not None:
        out.append(Signal(tweet_id, "needs_reply", _flag(verdict.needs_reply), source, at, agent))
    if verdict.needs_reply is False or verdict.spam:
        if verdict.spam and verdict.needs_reply is None:
            out.append(Signal(tweet_id, "needs_reply", "0", source, at, agent))
        out.append(Signal(tweet_id, "complaint", "0", "no_reply_implied", at, agent))
    return out


def _source_of(event: CaseEvent) -> str:
    kind = event.change.kind
    if kind == ChangeKind.CORRECTED:
        return "corrected"
    if kind == ChangeKind.OPENED:
        return "opened_by_hand"
    correction = event.change.correction
    return "spam" if correction is not None and correction.agent.spam else "no_reply"


def signals_of(event: CaseEvent, tweets: Mapping[str, TriagedTweet]) -> list[Signal]:
    """What ``event`` says agents decided, per tweet and field (``tweets`` by id: the brand's
    replies and the customer tweets they answer)."""
    change, case = event.change, event.case
    at, agent = event.occurred_at, change.by.id if change.by is not None else ""
    if change.correction is not None:
        c = change.correction
        return _verdict(c.tweet_id, c.agent, _source_of(event), c.at, c.agent_id)
    if change.kind == ChangeKind.TRANSFERRED:
        return [Signal(case.opening_tweet_id, "queue", case.queue, "transferred", at, agent)]
    if change.kind != ChangeKind.RESPONDED or change.tweet_id is None:
        return []
    reply = tweets.get(change.tweet_id)
    if reply is None:
        return []
    answered = reply.tweet.in_reply_to_tweet_id
    if answered is None or answered not in tweets:
        answered = case.last_customer_tweet_id or case.opening_tweet_id
    out = [Signal(answered, "needs_reply", "1", "replied", at, agent)]
    tone = reply_tone(reply.tweet.text)
    if tone == "negative":
        out.append(Signal(answered, "complaint", "1", "reply_apology", at, agent))
        out.append(Signal(answered, "sentiment", "negative", "reply_apology", at, agent))
    elif tone == "positive":
        out.append(Signal(answered, "sentiment", "positive", "reply_glad", at, agent))
    return out


def selected(event: CaseEvent, since: datetime | None, brand: str | None) -> bool:
    """Whether ``event`` is in the window and of the brand asked for."""
    if since is not None and event.occurred_at < since:
        return False
    return brand is None or event.case.brand == brand


def referenced(events: Iterable[CaseEvent]) -> set[str]:
    """The tweet ids a labels run needs from ``tweets.triaged``: the tweets decided on and the
    brand's replies."""
    ids: set[str] = set()
    for event in events:
        change = event.change
        if change.correction is not None:
            ids.add(change.correction.tweet_id)
        elif change.kind == ChangeKind.TRANSFERRED:
            ids.add(event.case.opening_tweet_id)
        elif change.kind == ChangeKind.RESPONDED and change.tweet_id is not None:
            ids.update(t for t in (change.tweet_id, event.case.last_customer_tweet_id) if t)
            ids.add(event.case.opening_tweet_id)
    return ids


@dataclass(frozen=True)
class Labels:
    rows: list[dict[str, str]]
    without_text: int  # tweets agents decided on that tweets.triaged no longer holds


def label_rows(events: Sequence[CaseEvent], tweets: Mapping[str, TriagedTweet]) -> Labels:
    """One row per customer tweet agents decided something of, in the order first decided.
    A repeated event (same ``event_id``) counts once; a tweet whose triaged event is not in
    ``tweets`` has no text to learn from and is counted in ``without_text``."""
    seen: set[str] = set()
    by_tweet: dict[str, list[Signal]] = {}
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        for signal in signals_of(event, tweets):
            by_tweet.setdefault(signal.tweet_id, []).append(signal)
    rows, without = [], 0
    for tweet_id, signals in by_tweet.items():
        triaged = tweets.get(tweet_id)
        if triaged is None or triaged.tweet.direction != Direction.INBOUND:
            without += triaged is None
            continue
        rows.append(_row(triaged, signals))
    return Labels(rows, without)


def _row(triaged: TriagedTweet, signals: list[Signal]) -> dict[str, str]:
    t, tweet = triaged.triage, triaged.tweet
    row = {
        "tweet_id": tweet.tweet_id, "brand": tweet.brand, "lang": t.lang,
        "created_at": tweet.created_at.isoformat(), "text": tweet.text,
        "model_version": triaged.model_version, "triage_complaint": _flag(t.complaint),
        "triage_sentiment": t.sentiment.value, "triage_topic": t.topic.value,
        "triage_needs_reply": _flag(t.needs_reply), "triage_spam": _flag(t.spam),
        "triage_queue": t.queue,
    }  # fmt: skip
    for field in FIELDS:
        best = winner(s for s in signals if s.field == field)
        row[field] = best.value if best else ""
        row[f"{field}_source"] = best.source if best else ""
    row["agents"] = " ".join(sorted({s.agent for s in signals if s.agent}))
    row["decided_at"] = max(s.at for s in signals).isoformat()
    return row
