"""The pipeline benchmark's figures from what it sampled: percentiles, rates fitted through
faust's stepped commits, lag growth, timer lateness, overdue clocks, the verdicts and the report.
No infrastructure: the samples are made here the way the broker would show them."""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from bench._pipeline_output import format_table, to_json
from bench._pipeline_report import (
    Fire,
    Limits,
    ProbeMarks,
    Sample,
    Window,
    cpu_cores,
    fires_in,
    highest_sustained,
    overdue_unfired,
    percentile,
    probe_hops,
    slope,
    stage_result,
    step_report,
    summarise,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FEED_S = 30.0


def window(rate: float, published: int | None = None, start: float = 10.0) -> Window:
    return Window(
        rate=rate, start=start, end=start + FEED_S, drain_end=start + FEED_S + 20,
        wall_start=T0, wall_end=T0 + timedelta(seconds=FEED_S),
        published=int(rate * FEED_S) if published is None else published,
    )  # fmt: skip


def samples(
    rate_in: float, capacity: float, start: float = 10.0, commit_every: float = 2.8,
    records_a_tweet: int = 1,
) -> list[Sample]:  # fmt: skip
    """One sample a second from 5 s before the feed to the end of the drain: ``rate_in``
    records/s arrive during the feed (``records_a_tweet`` per tweet); the stage works through
    them at up to ``capacity``/s and, like faust, commits what it has done only every
    ``commit_every`` seconds."""
    found, done, committed, last_commit = [], 0.0, 0, start - 5
    for i in range(-5, int(FEED_S) + 21):
        t = start + i
        arrived = rate_in * min(max(t - start, 0.0), FEED_S)
        done = min(arrived, done + capacity) if i > -5 else 0.0
        if t - last_commit >= commit_every:
            committed, last_commit = int(done), t
        ends = int(arrived)
        found.append(
            Sample(t=t, ends=ends, committed=committed, lag=max(0, ends - committed),
                   tweets_done=committed // records_a_tweet)
        )  # fmt: skip
    return found


def test_percentile_is_linear_between_closest_ranks_like_numpy() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 99) == pytest.approx(
        statistics.quantiles(values, n=100, method="inclusive")[98]
    )
    assert percentile([7.0], 99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0  # order of the input does not matter
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_summary_of_nothing_is_none_and_of_values_has_their_max() -> None:
    assert summarise([]) is None
    got = summarise([0.2, 0.4, 3.0])
    assert got is not None
    assert (got.n, got.p50, got.max) == (3, 0.4, 3.0)


def test_slope_is_the_least_squares_fit() -> None:
    assert slope([(0, 1), (1, 3), (2, 5), (3, 7)]) == pytest.approx(2.0)
    assert slope([(0, 0), (1, 10), (2, 0), (3, 10)]) == pytest.approx(2.0)
    assert slope([(5, 1)]) == 0.0
    assert slope([(5, 1), (5, 3)]) == 0.0


def test_a_stage_that_keeps_up_is_sustained_through_stepped_commits() -> None:
    got = stage_result("triage", samples(1000, 5000), window(1000))
    assert got.input_rate == pytest.approx(1000, rel=0.01)
    assert got.consumed_rate == pytest.approx(1000, rel=0.1)  # fitted, not two-point
    assert not got.grows
    assert got.drained_after_s is not None
    assert got.drained_after_s <= 3
    assert got.sustained
    assert got.tweets_rate == pytest.approx(1000)
    assert got.lag_max <= 2.8 * 1000 + 1  # commit batching, not falling behind


def test_a_stage_at_a_fifth_of_the_rate_grows_and_never_drains() -> None:
    got = stage_result("sla", samples(1000, 200), window(1000))
    assert got.grows
    assert got.drained_after_s is None
    assert not got.sustained
    assert got.consumed_rate == pytest.approx(200, rel=0.1)
    assert got.lag_slope == pytest.approx(800, rel=0.1)
    assert got.lag_end == pytest.approx(800 * FEED_S, rel=0.1)
    assert got.tweets_rate == pytest.approx(200, rel=0.1)


def test_a_stage_behind_a_lagging_one_is_rated_by_the_tweets_it_did() -> None:
    # SLA after a triage that only passed on 900/s: it did 350 tweets/s, not 350 × 1000/900.
    got = stage_result("sla", samples(900, 350), window(1000))
    assert got.grows
    assert got.tweets_rate == pytest.approx(350, rel=0.1)


def test_a_stage_reading_two_records_a_tweet_counts_its_rate_in_tweets() -> None:
    # The indexer reads tweets.triaged and cases.events: 2,000 records/s for 1,000 tweets/s.
    got = stage_result("indexer", samples(2000, 1000, records_a_tweet=2), window(1000))
    assert got.grows
    assert got.input_rate == pytest.approx(2000, rel=0.01)
    assert got.tweets_rate == pytest.approx(500, rel=0.1)


def test_a_small_deficit_within_the_lag_floor_does_not_count_as_growth() -> None:
    # 97% of the rate: the lag creeps up by 30/s, less than 5% of the rate.
    got = stage_result("sla", samples(1000, 970), window(1000))
    assert not got.grows


def test_a_stage_that_needs_long_to_catch_up_did_not_keep_up() -> None:
    # 84.5% of the rate for 30 s, committing every second: 4.65 s of traffic behind at the end
    # (under the growth floor of 5 s), and 5.5 s to catch up afterwards.
    got = stage_result("sla", samples(1000, 845, commit_every=1.0), window(1000))
    assert got.drained_after_s is not None
    assert got.drained_after_s > 5
    assert not got.sustained
    assert not got.grows
    assert got.verdict == "SLOW DRAIN"
    assert got.tweets_rate < 1000


def test_a_window_needs_samples_inside_it() -> None:
    with pytest.raises(ValueError, match="fewer than two"):
        stage_result("sla", samples(1000, 1000, start=500), window(1000))


def fire(event_id: str, kind: str, due_s: float, late_ms: float) -> Fire:
    due = T0 + timedelta(seconds=due_s)
    return Fire(event_id, kind, due, due + timedelta(milliseconds=late_ms))


def test_fires_count_once_and_only_when_due_inside_the_feed() -> None:
    fires = [
        fire("a", "sla_warning", 5, 40),
        fire("a", "sla_warning", 5, 40),  # delivered twice: same event id
        fire("b", "sla_breach", 29, 1500),
        fire("c", "sla_breach", 31, 10),  # due after the feed ended
        fire("d", "sla_warning", -1, 10),  # due before it began
    ]
    got = fires_in(fires, window(1000))
    assert sorted(f.event_id for f in got) == ["a", "b"]
    assert sorted(f.late_ms for f in got) == [40, 1500]


def clock(status: str, due_s: float | None, fired: list[float], target: int = 20) -> dict:
    due = None if due_s is None else T0 + timedelta(seconds=due_s)
    return {"status": status, "due_at": due, "target_seconds": target,
            "warn_fractions": [0.5], "warnings_fired": fired}  # fmt: skip


def test_overdue_unfired_counts_warnings_and_breaches_past_due() -> None:
    at = T0 + timedelta(seconds=100)
    clocks = [
        clock("running", 50, [0.5]),  # breach due at 50, not fired: 1
        clock("running", 50, []),  # breach and its warning (due at 40) both missed: 2
        clock("running", 105, []),  # warning due at 95, missed: 1; breach not due yet
        clock("running", 99.5, [0.5]),  # due within the grace second: 0
        clock("breached", 50, [0.5]),  # fired: 0
        clock("met", None, []),  # answered: 0
        clock("paused", None, []),  # waiting on the customer: 0
    ]
    assert overdue_unfired(clocks, at, grace_s=1.0) == 4


def test_cpu_is_seconds_used_per_wall_second_for_processes_seen_twice() -> None:
    got = cpu_cores({"sla": 10.0, "api": 3.0, "gone": 1.0}, {"sla": 40.0, "api": 4.5}, 30.0)
    assert got == {"sla": pytest.approx(1.0), "api": pytest.approx(0.05)}


def limits() -> Limits:
    return Limits(kafka_rate=80_000, kafka_records=100_000, kafka_mean_bytes=830,
                  es_docs_rate=12_000, es_docs=60_000, docs_per_tweet=3.0)  # fmt: skip


def test_probe_hops_split_ingest_to_queue_into_the_stages_each_probe_got_through() -> None:
    marks = [
        ProbeMarks(sent_ms=1000, triaged_ms=1080, opened_ms=1200, listed_ms=1900),
        ProbeMarks(sent_ms=2000, triaged_ms=2100, opened_ms=2300, listed_ms=None),  # not listed
        ProbeMarks(sent_ms=3000, triaged_ms=None, opened_ms=None, listed_ms=None),  # nowhere
    ]
    hops = probe_hops(marks)
    assert list(hops) == ["triage", "sla", "indexer + queue API"]
    triage, sla, rest = hops.values()
    assert (triage and triage.n, triage and triage.max) == (2, 100)
    assert (sla and sla.n, sla and sla.p50) == (2, 160)
    assert (rest and rest.n, rest and rest.max) == (1, 700)
    assert probe_hops([]) == dict.fromkeys(hops)


def test_a_step_is_sustained_only_when_every_stage_keeps_up_and_the_feeder_did() -> None:
    fine = {"triage": samples(1000, 5000), "sla": samples(1000, 5000)}
    behind = {"triage": samples(1000, 5000), "sla": samples(1000, 200)}
    ok = step_report(window(1000), fine, [0.5, 0.7], 0, [], {"sla": 0.4})
    lagging = step_report(window(1000), behind, [], 3, [], {})
    short = step_report(window(1000, published=20_000), fine, [], 0, [], {})
    assert ok.sustained
    assert ok.throughput == pytest.approx(1000)
    assert not lagging.sustained
    assert lagging.throughput == pytest.approx(200, rel=0.1)  # its slowest stage
    assert short.feeder_short
    assert not short.sustained
    assert highest_sustained([ok, lagging]) is ok
    assert highest_sustained([lagging, short]) is None


def test_the_report_gives_the_ratio_to_the_lower_limit_and_every_figure() -> None:
    fires = [fire("w1", "sla_warning", 10, 30), fire("b1", "sla_breach", 20, 250)]
    step = step_report(window(1000), {"triage": samples(1000, 5000)}, [0.4, 0.6, 0.9], 1,
                       fires, {"triage": 0.5, "kafka": 0.3, "machine": 1.0},
                       marks=[ProbeMarks(0, 90, 210, 600)])  # fmt: skip
    report = to_json([step], limits(), overdue=2, meta={"benchmark": "bench.pipeline"})
    json.dumps(report)  # JSON-ready as it is
    assert report["highest_sustained_rate"] == 1000
    assert report["sla_overdue_unfired_at_end"] == 2
    # The lower limit: Elasticsearch, 12,000 docs/s at 3 docs a tweet = 4,000 tweets/s.
    assert report["limits"]["lower"] == "elasticsearch"
    assert report["limits"]["lower_rate"] == pytest.approx(4000)
    assert report["limits"]["throughput_ratio"] == pytest.approx(0.25)
    only = report["steps"][0]
    assert only["ingest_to_queue_api_ms"]["p50"] == pytest.approx(600)
    assert only["probes_not_visible"] == 1
    assert only["ingest_to_queue_api_hops_ms"]["sla"]["p50"] == pytest.approx(120)
    assert only["ingest_to_queue_api_hops_ms"]["indexer + queue API"]["n"] == 1
    assert only["sla_fire_minus_due_ms"]["sla_breach"]["max"] == pytest.approx(250)
    assert only["sla_fire_minus_due_ms"]["all"]["n"] == 2
    assert only["stages"][0]["sustained"] is True
    table = format_table([step], limits(), overdue=2, idle={"sla": 0.04, "machine": 0.1})
    assert "sustained" in table
    assert "25.0% of the lower limit (elasticsearch)" in table
    assert "1 not visible by the end" in table
    assert "of which triage (ms): p50 90  p99 90  max 90  (n=1)" in table
    assert "overdue but not fired at the end: 2" in table
    # Our processes used 0.8 of the 1.0 core the machine was busy: other work took 0.2.
    assert "triage 0.50  kafka 0.30  total 0.80; whole machine 1.00, other work 0.20" in table
    assert "with no load, before the first step: sla 0.04  total 0.04" in table
