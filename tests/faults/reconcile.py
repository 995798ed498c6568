"""Reconciling a run from its topics and its read model: what was lost, what was doubled (pure).

The fault suite reads every record of the topics and every document of the index after the run,
turns them into the small rows below and hands them to these functions. Each returns a
:class:`Check`: its figures and, per problem, one line naming the ids involved. Nothing here
reads Kafka, Elasticsearch or a clock: ``tests/unit/test_reconcile.py`` feeds them tables.

At-least-once delivery repeats records with the same ids; that is not a double. A double is
the same effect under two ids (two ``opened`` events of one case, two breach events of one clock's
due time, one reply posted under two tweet ids); a loss is an effect with no record at all.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

# Kinds of cases.events that change nothing and so repeat the case's current version.
SAME_VERSION_KINDS = frozenset({"action_rejected", "unchanged"})
CLOSED_STATES = frozenset({"resolved", "closed_no_reply", "spam"})
SHOWN = 10  # ids named per problem line


@dataclass(frozen=True)
class Tweet:
    """One record of ``tweets.raw``."""

    tweet_id: str
    event_id: str
    direction: str  # inbound | outbound
    text: str = ""


@dataclass(frozen=True)
class ClockRow:
    name: str
    status: str
    due_at: datetime | None


@dataclass(frozen=True)
class CaseEventRow:
    """One record of ``cases.events``, in topic order (one case lives on one partition)."""

    event_id: str
    case_id: str
    case_version: int
    kind: str
    occurred_at: datetime
    state: str = "new"
    clock: str | None = None  # the clock of a warning or breach
    due_at: datetime | None = None  # the due time a warning or breach fired for
    clocks: tuple[ClockRow, ...] = ()


@dataclass(frozen=True)
class ReplyRequest:
    """One record of ``outbox.replies``."""

    reply_id: str
    case_id: str
    text: str


@dataclass(frozen=True)
class ReplyResult:
    """One record of ``outbox.results``."""

    reply_id: str
    status: str  # posted | failed
    posted_tweet_id: str | None = None
    error_code: str | None = None
    error: str | None = None


@dataclass
class Check:
    """What one reconciliation found: figures, and problems (each a line naming ids)."""

    name: str
    figures: dict[str, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # shown, not failures

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.wrong)

    def summary(self) -> str:
        figures = ", ".join(f"{k} {v}" for k, v in self.figures.items())
        lines = [
            f"{self.name}: {figures}; lost {len(self.lost)}, doubled {len(self.doubled)}, "
            f"wrong {len(self.wrong)}"
        ]
        lines += [f"  LOST {p}" for p in self.lost]
        lines += [f"  DOUBLED {p}" for p in self.doubled]
        lines += [f"  WRONG {p}" for p in self.wrong]
        lines += [f"  note {p}" for p in self.notes]
        return "\n".join(lines)


def _ids(ids: Iterable[str]) -> str:
    found = sorted(ids)
    more = f" (+{len(found) - SHOWN} more)" if len(found) > SHOWN else ""
    return ", ".join(found[:SHOWN]) + more


def tweets_indexed(raw: Sequence[Tweet], indexed: Sequence[str]) -> Check:
    """Every tweet id of ``tweets.raw`` is in the index exactly once (``indexed``: the
    ``tweet_id`` of every tweet document)."""
    check = Check("tweets")
    wanted = {t.tweet_id for t in raw}
    counts = Counter(indexed)
    repeats = len(raw) - len({t.event_id for t in raw})
    check.figures = {
        "in tweets.raw": len(wanted),
        "inbound": len({t.tweet_id for t in raw if t.direction == "inbound"}),
        "outbound": len({t.tweet_id for t in raw if t.direction == "outbound"}),
        "records repeated": repeats,
        "indexed": len(counts),
    }
    lost = wanted - counts.keys()
    if lost:
        check.lost.append(f"{len(lost)} tweets of tweets.raw not indexed: {_ids(lost)}")
    doubled = {i for i, n in counts.items() if n > 1}
    if doubled:
        check.doubled.append(f"{len(doubled)} tweets indexed more than once: {_ids(doubled)}")
    unknown = counts.keys() - wanted
    if unknown:
        check.wrong.append(f"{len(unknown)} indexed tweets not in tweets.raw: {_ids(unknown)}")
    return check


def distinct_by_case(events: Sequence[CaseEventRow]) -> dict[str, list[CaseEventRow]]:
    """Each case's events in topic order, a repeated event id kept at its first record."""
    seen: set[str] = set()
    cases: dict[str, list[CaseEventRow]] = defaultdict(list)
    for e in events:
        if e.event_id not in seen:
            seen.add(e.event_id)
            cases[e.case_id].append(e)
    return dict(cases)


def case_histories(events: Sequence[CaseEventRow]) -> Check:
    """Every case's events complete and in order: one ``opened`` (by event id) at version 1,
    then each change one version up (a rejected or unchanged action repeats the version), a
    repeated event id always at the same version."""
    check = Check("case events")
    versions: dict[str, set[int]] = defaultdict(set)
    for e in events:
        versions[e.event_id].add(e.case_version)
    conflicting = {i for i, v in versions.items() if len(v) > 1}
    if conflicting:
        check.wrong.append(f"event ids repeated at another version: {_ids(conflicting)}")
    cases = distinct_by_case(events)
    check.figures = {
        "cases": len(cases),
        "events": sum(len(v) for v in cases.values()),
        "records repeated": len(events) - len(versions),
    }
    no_open, many_open, gaps, doubles, backwards = [], [], [], [], []
    for case_id, history in cases.items():
        opened = [e.event_id for e in history if e.kind == "opened"]
        if not opened:
            no_open.append(case_id)
        elif len(opened) > 1:
            many_open.append(f"{case_id} ({', '.join(opened)})")
        if history[0].case_version != 1:
            gaps.append(f"{case_id}: starts at version {history[0].case_version}")
        for before, after in itertools.pairwise(history):
            step = after.case_version - before.case_version
            if step > 1:
                gaps.append(
                    f"{case_id}: versions {before.case_version}→{after.case_version} "
                    f"(after {before.event_id})"
                )
            elif step < 0:
                backwards.append(f"{case_id}: {after.event_id} at {after.case_version} after "
                                 f"{before.case_version}")  # fmt: skip
            elif step == 0 and after.kind not in SAME_VERSION_KINDS:
                doubles.append(
                    f"{case_id}: version {after.case_version} twice ({before.event_id} "
                    f"{before.kind}, {after.event_id} {after.kind})"
                )
    if no_open:
        check.lost.append(f"{len(no_open)} cases without an opened event: {_ids(no_open)}")
    if gaps:
        check.lost.append(f"{len(gaps)} cases with missing versions: {'; '.join(gaps[:SHOWN])}")
    if many_open:
        check.doubled.append(f"cases opened more than once: {'; '.join(many_open[:SHOWN])}")
    if doubles:
        check.doubled.append(f"{len(doubles)} versions reused: {'; '.join(doubles[:SHOWN])}")
    if backwards:
        check.wrong.append(f"{len(backwards)} out of order: {'; '.join(backwards[:SHOWN])}")
    return check


def cases_indexed(events: Sequence[CaseEventRow], indexed: Mapping[str, int]) -> Check:
    """Every case of ``cases.events`` has its document in the index at its last version
    (``indexed``: case id → the document's ``case_version``)."""
    check = Check("case documents")
    last: dict[str, int] = {}
    for e in events:
        last[e.case_id] = max(last.get(e.case_id, 0), e.case_version)
    check.figures = {"cases": len(last), "indexed": len(indexed)}
    missing = last.keys() - indexed.keys()
    if missing:
        check.lost.append(f"{len(missing)} cases not indexed: {_ids(missing)}")
    stale = [f"{c} at {indexed[c]} of {v}" for c, v in last.items() if c in indexed
             and indexed[c] != v]  # fmt: skip
    if stale:
        check.lost.append(f"{len(stale)} case documents not at their last version: "
                          f"{'; '.join(sorted(stale)[:SHOWN])}")  # fmt: skip
    return check


def replies(
    accepted: Mapping[str, str],
    requests: Sequence[ReplyRequest],
    results: Sequence[ReplyResult],
    outbound: Sequence[Tweet],
) -> Check:
    """Every reply the API accepted (``accepted``: reply id → its text) reached the outbox once;
    every outbox reply is posted at most once (on X: the brand's outbound tweets of its text;
    in ``outbox.results``: one tweet id) and has an outcome, posted or failed with a reason."""
    check = Check("replies")
    texts: dict[str, str] = {}
    for r in requests:
        texts.setdefault(r.reply_id, r.text)
    outcomes: dict[str, set[tuple[str, str | None]]] = defaultdict(set)
    for res in results:
        outcomes[res.reply_id].add((res.status, res.posted_tweet_id))
        if res.status == "failed" and not (res.error_code and res.error):
            check.wrong.append(f"reply {res.reply_id} failed without a reason")
    on_x: dict[str, set[str]] = defaultdict(set)
    for t in outbound:
        on_x[t.text].add(t.tweet_id)
    never_sent = accepted.keys() - texts.keys()
    if never_sent:
        check.lost.append(f"{len(never_sent)} accepted replies never in outbox.replies: "
                          f"{_ids(never_sent)}")  # fmt: skip
    by_text: dict[str, list[str]] = defaultdict(list)
    for reply_id, text in texts.items():
        by_text[text].append(reply_id)
    for text, ids in by_text.items():
        if len(ids) > 1:
            check.doubled.append(f"one reply under reply ids {_ids(ids)}: {text[:60]!r}")
    posted = failed = 0
    reasons: Counter[str] = Counter()
    for reply_id, text in texts.items():
        got = outcomes.get(reply_id, set())
        tweets = {t for s, t in got if s == "posted" and t}
        statuses = {s for s, _ in got}
        x_tweets = on_x.get(text, set())
        if not got:
            check.lost.append(f"reply {reply_id}: no outcome in outbox.results")
        if len(tweets) > 1:
            check.doubled.append(f"reply {reply_id} posted as {_ids(tweets)}")
        if len(x_tweets) > 1:
            check.doubled.append(f"reply {reply_id} on X {len(x_tweets)} times: {_ids(x_tweets)}")
        if statuses == {"posted", "failed"}:
            check.wrong.append(f"reply {reply_id} both posted and failed")
        if tweets - x_tweets:
            check.lost.append(f"reply {reply_id} posted as {_ids(tweets - x_tweets)} but no "
                              "outbound tweet of it in tweets.raw")  # fmt: skip
        if "posted" in statuses:
            posted += 1
        elif "failed" in statuses:
            failed += 1
    for res in results:
        if res.status == "failed" and res.error_code:
            reasons[res.error_code] += 1
    check.figures = {"accepted": len(accepted), "in outbox": len(texts), "posted": posted,
                     "failed": failed}  # fmt: skip
    check.figures.update({f"failed {code}": n for code, n in sorted(reasons.items())})
    return check


def breaches(events: Sequence[CaseEventRow], cutoff: datetime) -> Check:
    """No breach missed or doubled: each clock seen running with a due time before ``cutoff``
    either stopped, paused, moved or closed with its case by that due time (a later event,
    occurred no later than it, shows so), or has exactly one breach event id for that due time."""
    check = Check("breaches")
    cases = distinct_by_case(events)
    fired: dict[tuple[str, str, datetime], set[str]] = defaultdict(set)
    due: set[tuple[str, str, datetime]] = set()
    missed: list[str] = []
    for case_id, history in cases.items():
        history = sorted(history, key=lambda e: e.case_version)
        for e in history:
            if e.kind == "sla_breach" and e.clock and e.due_at:
                fired[(case_id, e.clock, e.due_at)].add(e.event_id)
        for i, e in enumerate(history):
            if e.state in CLOSED_STATES:  # a closed case's clocks never breach
                continue
            for clock in e.clocks:
                if clock.status != "running" or clock.due_at is None or clock.due_at > cutoff:
                    continue
                instance = (case_id, clock.name, clock.due_at)
                if instance in due:
                    continue
                if not _settled(history[i + 1 :], clock.name, clock.due_at):
                    due.add(instance)
    for instance in sorted(due):
        if instance not in fired:
            case_id, name, at = instance
            missed.append(f"{case_id} {name} due {at.isoformat()}")
    unmatched = sorted(f"{c} {n} due {a.isoformat()}" for c, n, a in fired.keys() - due)
    check.figures = {
        "clocks due": len(due),
        "breaches": sum(len(v) for v in fired.values()),
        "breaches of no clock seen due": len(unmatched),
    }
    check.notes = unmatched[:SHOWN]
    # A breach of a clock no event showed running to that due time (before the cut-off: later
    # ones may be due after it) was fired for a clock that had been met, paused or moved.
    early = sorted(f"{c} {n} due {a.isoformat()}" for c, n, a in fired.keys() - due if a <= cutoff)
    if early:
        check.wrong.append(f"{len(early)} breaches of no clock due: {'; '.join(early[:SHOWN])}")
    if missed:
        check.lost.append(f"{len(missed)} breaches missed: {'; '.join(missed[:SHOWN])}")
    doubled = [f"{c} {n} due {a.isoformat()}: {_ids(ids)}" for (c, n, a), ids in
               sorted(fired.items()) if len(ids) > 1]  # fmt: skip
    if doubled:
        check.doubled.append(f"{len(doubled)} breaches fired twice: {'; '.join(doubled[:SHOWN])}")
    return check


def _settled(later: Sequence[CaseEventRow], name: str, due_at: datetime) -> bool:
    """Whether an event occurred by ``due_at`` shows the clock no longer running to it (its own
    breach is not one: fired within the millisecond, it is stamped with the due time itself)."""
    for e in later:
        if e.occurred_at > due_at or (e.kind == "sla_breach" and e.clock == name
                                      and e.due_at == due_at):  # fmt: skip
            return False
        if e.state in CLOSED_STATES:
            return True
        clock = next((c for c in e.clocks if c.name == name), None)
        if clock is None or clock.status != "running" or clock.due_at != due_at:
            return True
    return False
