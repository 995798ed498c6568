"""The pipeline benchmark's report: JSON of every figure, and the printed table. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from bench._pipeline_report import MACHINE, Limits, StepReport, Summary, highest_sustained


def to_json(
    steps: Sequence[StepReport], limits: Limits | None, overdue: int, meta: Mapping[str, Any]
) -> dict[str, Any]:
    """Everything the run measured, JSON-ready."""

    def step(s: StepReport) -> dict[str, Any]:
        w = s.window
        return {
            "rate_offered": w.rate, "rate_published": round(w.published_rate, 1),
            "published": w.published, "feed_seconds": round(w.end - w.start, 2),
            "started_at": w.wall_start.isoformat(), "ended_at": w.wall_end.isoformat(),
            "sustained": s.sustained, "feeder_short": s.feeder_short,
            "throughput_tweets_per_s": round(s.throughput, 1),
            "stages": [
                {**{k: v for k, v in asdict(st).items() if k != "lag_series"},
                 "sustained": st.sustained, "lag_series": [list(p) for p in st.lag_series]}
                for st in s.stages
            ],
            "ingest_to_queue_api_ms": _ms(s.probes), "probes_not_visible": s.probes_missing,
            "ingest_to_queue_api_hops_ms": {k: _rounded(v) for k, v in s.hops.items()},
            "sla_fire_minus_due_ms": {k: _rounded(v) for k, v in s.fires.items()},
            "cpu_cores": {k: round(v, 3) for k, v in s.cpu.items()},
        }  # fmt: skip

    best = highest_sustained(steps)
    out: dict[str, Any] = {
        **meta,
        "steps": [step(s) for s in steps],
        "highest_sustained_rate": best.window.rate if best else None,
        "sla_overdue_unfired_at_end": overdue,
    }
    if limits is not None:
        name, lower = limits.lower
        reference = best or (steps[-1] if steps else None)
        out["limits"] = {
            **asdict(limits), "es_tweets_rate": round(limits.es_tweets_rate, 1),
            "lower": name, "lower_rate": round(lower, 1),
            "throughput_ratio": round(reference.throughput / lower, 4)
            if reference and lower > 0 else None,
        }  # fmt: skip
    return out


def _rounded(summary: Summary | None) -> dict[str, float] | None:
    if summary is None:
        return None
    return {k: round(v, 1) for k, v in asdict(summary).items()}


def _ms(summary: Summary | None) -> dict[str, float] | None:
    if summary is None:
        return None
    return {"n": summary.n, "p50": round(summary.p50 * 1000, 1),
            "p99": round(summary.p99 * 1000, 1), "max": round(summary.max * 1000, 1)}  # fmt: skip


def _n(value: float) -> str:
    """A count or rate, short: 812, 12.3k, 1.2M."""
    v = abs(value)
    if v >= 1e6:
        return f"{value / 1e6:.1f}M"
    if v >= 1e4:
        return f"{value / 1e3:.0f}k"
    if v >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


def _summary_text(summary: Summary | None, unit: float, fmt: str) -> str:
    if summary is None:
        return "no samples"
    return (f"p50 {summary.p50 * unit:{fmt}}  p99 {summary.p99 * unit:{fmt}}  "
            f"max {summary.max * unit:{fmt}}  (n={summary.n:,})")  # fmt: skip


def _cpu_text(cpu: Mapping[str, float]) -> str:
    ours = {k: v for k, v in cpu.items() if k != MACHINE}
    text = "  ".join(f"{k} {v:.2f}" for k, v in sorted(ours.items(), key=lambda kv: -kv[1]))
    text += f"  total {sum(ours.values()):.2f}"
    if MACHINE in cpu:
        others = max(cpu[MACHINE] - sum(ours.values()), 0.0)
        text += f"; whole machine {cpu[MACHINE]:.2f}, other work {others:.2f}"
    return text


def format_table(
    steps: Sequence[StepReport], limits: Limits | None, overdue: int, every_s: float = 5.0,
    idle: Mapping[str, float] | None = None,
) -> str:  # fmt: skip
    """The printed report: CPU with no load, one block per step, then the limits and the
    ratio."""
    lines: list[str] = []
    if idle:
        lines.append(f"CPU (cores) with no load, before the first step: {_cpu_text(idle)}")
    for number, s in enumerate(steps, 1):
        w = s.window
        verdict = "sustained" if s.sustained else (
            "FEEDER SHORT" if s.feeder_short else "NOT SUSTAINED")  # fmt: skip
        lines += [
            f"step {number}: {w.rate:,.0f} tweets/s offered for {w.end - w.start:.0f}s, "
            f"{w.published_rate:,.0f}/s published ({w.published:,} tweets): {verdict}, "
            f"pipeline {s.throughput:,.0f} tweets/s",
            f"  {'stage':<8} {'in/s':>7} {'done/s':>7} {'lag+/s':>7} {'lag end':>8} "
            f"{'lag max':>8} {'drained':>9}  verdict",
        ]
        for st in s.stages:
            drained = "no" if st.drained_after_s is None else f"{st.drained_after_s:.0f}s"
            lines.append(
                f"  {st.name:<8} {_n(st.input_rate):>7} {_n(st.consumed_rate):>7} "
                f"{_n(st.lag_slope):>7} {_n(st.lag_end):>8} {_n(st.lag_max):>8} {drained:>9}  "
                f"{st.verdict}"
            )
        for st in s.stages:
            picked, next_t = [], 0.0
            for t, lag in st.lag_series:
                if t >= next_t:
                    picked.append(_n(lag))
                    next_t = t + every_s
            lines.append(f"  lag {st.name:<8} every {every_s:g}s: {' '.join(picked)}")
        missing = f", {s.probes_missing} not visible by the end" if s.probes_missing else ""
        lines.append(f"  ingest -> queue API (s): {_summary_text(s.probes, 1, '.2f')}{missing}")
        for hop, summary in s.hops.items():
            lines.append(f"    of which {hop} (ms): {_summary_text(summary, 1, '.0f')}")
        for kind, label in (
            ("all", "all"),
            ("sla_warning", "warnings"),
            ("sla_breach", "breaches"),
        ):
            lines.append(
                f"  SLA fire - due, {label} (ms): {_summary_text(s.fires[kind], 1, '.0f')}"
            )
        lines.append(f"  CPU (cores, during the feed): {_cpu_text(s.cpu)}")
    lines.append(f"SLA warnings/breaches overdue but not fired at the end: {overdue:,}")
    best = highest_sustained(steps)
    lines.append(
        f"highest sustained rate: {best.window.rate:,.0f} tweets/s" if best
        else "highest sustained rate: none of the steps was sustained"
    )  # fmt: skip
    if limits is not None:
        name, lower = limits.lower
        reference = best or steps[-1]
        lines += [
            "physical limits (same Kafka and Elasticsearch, services stopped):",
            f"  Kafka produce->consume: {limits.kafka_rate:,.0f} events/s "
            f"({limits.kafka_records:,} raw events, {limits.kafka_mean_bytes:,.0f} B each)",
            f"  Elasticsearch _bulk: {limits.es_docs_rate:,.0f} docs/s ({limits.es_docs:,} docs) "
            f"= {limits.es_tweets_rate:,.0f} tweets/s at {limits.docs_per_tweet:.2f} docs/tweet",
            f"  other work on the machine meanwhile: {limits.others_cores:.2f} cores",
            f"  pipeline {reference.throughput:,.0f} tweets/s = "
            f"{reference.throughput / lower:.1%} of the lower limit ({name})"
            if lower > 0
            else "  the lower limit measured 0",
        ]
    return "\n".join(lines)
