"""The pipeline benchmark's figures, from what it sampled: pure, no I/O (tested on its own).

A stage's lag is sampled once a second as (end offsets − the group's committed offsets), summed
over its topics' partitions. Rates are least-squares slopes over the feed window (after a
warm-up), not two-point differences: a faust worker (triage) commits every ~2.8 s, so its
committed offsets climb in steps and a difference of two samples would be off by up to 2.8 s of
traffic.

A stage's lag *grows* when its slope exceeds ``growth_fraction`` of the rate arriving on its
topics and, at the end of the feed, it is more than ``lag_floor_s`` seconds of that traffic
behind (less than that is commit batching, not falling behind). A stage *sustains* a step when
its lag does not grow and, once the feed ends, it is caught up (lag within ``drain_tolerance``)
within ``lag_floor_s`` too: a stage that needs longer was further behind than batching
explains. A step is sustained when every stage sustains it and the feeder published the offered
rate.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

FEEDER_SHORTFALL = 0.97  # below this share of the offered rate, the feeder (not a stage) limited
MACHINE = "machine"  # in CPU readings: every process on the machine, ours or not


@dataclass(frozen=True)
class Sample:
    """One look at a stage: seconds since the run began, and offsets summed over partitions."""

    t: float
    ends: int
    committed: int
    lag: int  # sum over partitions of max(0, end - committed)
    tweets_done: int  # committed on the stage's tweet topic (raw for triage, triaged for the rest)


@dataclass(frozen=True)
class Criteria:
    warmup_s: float = 5.0
    growth_fraction: float = 0.05
    lag_floor_s: float = 5.0
    drain_tolerance: int = 100


@dataclass(frozen=True)
class Window:
    """One load step: the offered rate, and when the feed ran (run seconds and wall clock)."""

    rate: float
    start: float
    end: float
    drain_end: float
    wall_start: datetime
    wall_end: datetime
    published: int

    @property
    def published_rate(self) -> float:
        return self.published / max(self.end - self.start, 1e-9)


@dataclass(frozen=True)
class Summary:
    n: int
    p50: float
    p99: float
    max: float


@dataclass(frozen=True)
class StageResult:
    name: str
    drain_limit_s: float  # caught up within this after the feed, or it did not keep up
    input_rate: float  # records/s arriving on the stage's topics during the feed
    consumed_rate: float  # records/s its group committed during the feed
    lag_slope: float  # records/s the lag grew by during the feed
    lag_end: int  # when the feed ended
    lag_max: int
    drained_after_s: float | None  # after the feed ended, until caught up; None: not by the end
    grows: bool
    tweets_rate: float  # tweets/s it handled: all those fed when it keeps up
    lag_series: list[tuple[float, int]] = field(default_factory=list)  # (s since feed start, lag)

    @property
    def sustained(self) -> bool:
        return (
            self.drained_after_s is not None
            and self.drained_after_s <= self.drain_limit_s
            and not self.grows
        )

    @property
    def verdict(self) -> str:
        if self.sustained:
            return "keeps up"
        if self.grows:
            return "LAG GROWS"
        return "NOT DRAINED" if self.drained_after_s is None else "SLOW DRAIN"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(values: Sequence[float]) -> Summary | None:
    if not values:
        return None
    return Summary(len(values), percentile(values, 50), percentile(values, 99), max(values))


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of y over x; 0 with fewer than two distinct x."""
    if len(points) < 2:
        return 0.0
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    var = sum((x - mx) ** 2 for x, _ in points)
    if var == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in points) / var


def _lag_at(samples: Sequence[Sample], t: float) -> int:
    """The lag of the last sample at or before ``t`` (the first sample when none is)."""
    before = [s for s in samples if s.t <= t]
    return (before[-1] if before else samples[0]).lag


def stage_result(
    name: str, samples: Sequence[Sample], window: Window, criteria: Criteria = Criteria()
) -> StageResult:
    """A stage's figures over one step (``samples`` may cover the whole run)."""
    inside = [s for s in samples if window.start <= s.t <= window.end]
    if len(inside) < 2:
        raise ValueError(f"{name}: fewer than two lag samples inside the feed window")
    fitted = [s for s in inside if s.t >= window.start + criteria.warmup_s]
    if len(fitted) < 3:
        fitted = inside
    input_rate = slope([(s.t, s.ends) for s in fitted])
    consumed_rate = slope([(s.t, s.committed) for s in fitted])
    lag_slope = slope([(s.t, s.lag) for s in fitted])
    lag_end = _lag_at(samples, window.end)
    grows = (
        lag_slope > criteria.growth_fraction * max(input_rate, 1.0)
        and lag_end > criteria.lag_floor_s * input_rate
    )
    drained = next(
        (s.t - window.end for s in samples
         if window.end <= s.t <= window.drain_end and s.lag <= criteria.drain_tolerance),
        None,
    )  # fmt: skip
    # A stage that keeps up handled every tweet fed; one that fell behind handled the tweets it
    # committed (the indexer's other records, case events, are not tweets).
    if not grows and drained is not None and drained <= criteria.lag_floor_s:
        tweets_rate = window.published_rate
    else:
        tweets_rate = min(slope([(s.t, s.tweets_done) for s in fitted]), window.published_rate)
    series = [
        (round(s.t - window.start, 1), s.lag)
        for s in samples
        if window.start <= s.t <= window.drain_end
    ]
    return StageResult(
        name=name, drain_limit_s=criteria.lag_floor_s, input_rate=input_rate,
        consumed_rate=consumed_rate, lag_slope=lag_slope, lag_end=lag_end,
        lag_max=max(s.lag for s in inside), drained_after_s=drained, grows=grows,
        tweets_rate=max(tweets_rate, 0.0), lag_series=series,
    )  # fmt: skip


@dataclass(frozen=True)
class Fire:
    """A warning or breach on cases.events: when it was due and when the worker fired it."""

    event_id: str
    kind: str
    due_at: datetime
    occurred_at: datetime

    @property
    def late_ms(self) -> float:
        return (self.occurred_at - self.due_at).total_seconds() * 1000


def fires_in(fires: Iterable[Fire], window: Window) -> list[Fire]:
    """Fires due while the feed ran, each once (delivery is at least once: ids repeat)."""
    seen: dict[str, Fire] = {}
    for fire in fires:
        if window.wall_start <= fire.due_at <= window.wall_end:
            seen.setdefault(fire.event_id, fire)
    return list(seen.values())


def overdue_unfired(clocks: Iterable[Mapping[str, Any]], at: datetime, grace_s: float) -> int:
    """Warnings and breaches that were due more than ``grace_s`` before ``at`` but had not fired,
    counted on the clocks of each case's newest snapshot (``Clock`` as JSON, due_at parsed). The
    SLA clocks of the benchmark's policy run 24/7, so a warning is due at
    ``due_at − target × (1 − fraction)``."""
    limit = at - timedelta(seconds=grace_s)
    missed = 0
    for clock in clocks:
        due = clock.get("due_at")
        if clock.get("status") != "running" or not isinstance(due, datetime):
            continue
        if due < limit:
            missed += 1  # the breach (and any warning not fired) is overdue
        fired = set(clock.get("warnings_fired") or [])
        for fraction in clock.get("warn_fractions") or []:
            warn = due - timedelta(seconds=clock["target_seconds"] * (1 - fraction))
            if fraction not in fired and warn < limit:
                missed += 1
    return missed


def cpu_cores(
    before: Mapping[str, float], after: Mapping[str, float], wall_s: float
) -> dict[str, float]:
    """CPU seconds used per process between two readings, per wall second (1.0 = one core)."""
    return {
        name: (after[name] - before[name]) / wall_s
        for name in after
        if name in before and wall_s > 0
    }


@dataclass(frozen=True)
class Limits:
    """The physical limits, measured on the same Kafka and Elasticsearch with the services
    stopped."""

    kafka_rate: float  # raw events/s produced and consumed again
    kafka_records: int
    kafka_mean_bytes: float
    es_docs_rate: float  # documents/s bulk-indexed
    es_docs: int
    docs_per_tweet: float  # documents the indexer writes per published tweet, in this run
    others_cores: float = 0.0  # CPU other work on the machine used meanwhile (not Kafka, ES, us)

    @property
    def es_tweets_rate(self) -> float:
        return self.es_docs_rate / self.docs_per_tweet if self.docs_per_tweet > 0 else 0.0

    @property
    def lower(self) -> tuple[str, float]:
        return min(("kafka", self.kafka_rate), ("elasticsearch", self.es_tweets_rate),
                   key=lambda kv: kv[1])  # fmt: skip


HOPS = ("triage", "sla", "indexer + queue API")
"""Where a probe's ingest → queue API time goes: raw sent → triaged produced (triage), →
its case's first event produced (SLA), → listed by the queue API (indexer, Elasticsearch's
refresh, the API's read and the benchmark's 100 ms look)."""


@dataclass(frozen=True)
class ProbeMarks:
    """One probe's times, epoch milliseconds: sent to the raw topic, its triaged record and its
    case's first event as Kafka stamped them (the producers' create time), and first listed by
    the queue API (None where it never got there)."""

    sent_ms: float
    triaged_ms: float | None
    opened_ms: float | None
    listed_ms: float | None


def probe_hops(marks: Iterable[ProbeMarks]) -> dict[str, Summary | None]:
    """Each hop's milliseconds over the probes that made it through that hop and the one before
    (a probe never triaged counts in none)."""
    spans: dict[str, list[float]] = {hop: [] for hop in HOPS}
    for m in marks:
        points = (m.sent_ms, m.triaged_ms, m.opened_ms, m.listed_ms)
        for hop, (a, b) in zip(HOPS, itertools.pairwise(points), strict=True):
            if a is None or b is None:
                break
            spans[hop].append(b - a)
    return {hop: summarise(values) for hop, values in spans.items()}


@dataclass
class StepReport:
    window: Window
    stages: list[StageResult]
    probes: Summary | None
    probes_missing: int
    fires: dict[str, Summary | None]  # "all", "sla_warning", "sla_breach"
    cpu: dict[str, float]
    hops: dict[str, Summary | None] = field(default_factory=dict)  # see probe_hops

    @property
    def feeder_short(self) -> bool:
        return self.window.published_rate < FEEDER_SHORTFALL * self.window.rate

    @property
    def sustained(self) -> bool:
        return not self.feeder_short and all(s.sustained for s in self.stages)

    @property
    def throughput(self) -> float:
        """Tweets/s the whole pipeline handled: its slowest stage, at most what was fed."""
        return min([s.tweets_rate for s in self.stages] + [self.window.published_rate])


def step_report(
    window: Window, samples: Mapping[str, Sequence[Sample]], latencies: Sequence[float],
    probes_missing: int, fires: Sequence[Fire], cpu: dict[str, float],
    criteria: Criteria = Criteria(), marks: Iterable[ProbeMarks] = (),
) -> StepReport:  # fmt: skip
    mine = fires_in(fires, window)
    by_kind: dict[str, Summary | None] = {"all": summarise([f.late_ms for f in mine])}
    for kind in ("sla_warning", "sla_breach"):
        by_kind[kind] = summarise([f.late_ms for f in mine if f.kind == kind])
    return StepReport(
        window=window,
        stages=[stage_result(name, ss, window, criteria) for name, ss in samples.items()],
        probes=summarise(latencies), probes_missing=probes_missing, fires=by_kind, cpu=cpu,
        hops=probe_hops(marks),
    )  # fmt: skip


def highest_sustained(steps: Sequence[StepReport]) -> StepReport | None:
    sustained = [s for s in steps if s.sustained]
    return max(sustained, key=lambda s: s.window.rate) if sustained else None
