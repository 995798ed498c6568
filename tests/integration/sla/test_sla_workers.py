"""Several triage and SLA workers through the real broker, joining and leaving mid-stream.

Two triage workers and two SLA workers start; a steady stream of new customers' tweets with
short clocks flows into the raw topic; one triage worker is killed with SIGKILL (its batches
since the last commit are triaged again by the other: the same triaged events twice); a third
SLA worker joins, the first is stopped with SIGTERM, the second killed with SIGKILL, a fourth
joins. Then, by event id: every case opened exactly once, one warning and one breach per clock
that fell due, no case version skipped, the open-cases gauges of the SLA workers left summing to
the true count, and timers on time once the groups have settled. The figures (lateness during
and after the changes) are printed (`pytest -s`) for the scaling notes in docs/scaling.md."""

from __future__ import annotations

import json
import signal
import statistics
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaProducer

from services.plumbing.contracts.cases import CaseEvent, ChangeKind
from services.plumbing.contracts.codecs import CASES_EVENTS, TWEETS_RAW
from services.plumbing.contracts.common import case_key
from services.plumbing.contracts.tweets import Author
from tests.factories.tweets import tweet_event
from tests.integration.sla.test_sla_service import _setup
from tests.integration.workers import consume, free_port, worker

pytestmark = pytest.mark.kafka

POLICY = """
warn_at: [0.5]
default: {first_response: 6s, next_response: 6s, resolution: 1h}
"""
RATE = 12  # new cases a second
FEED_S = 50
KILL_TRIAGE, JOIN_THIRD, TERM_FIRST, KILL_SECOND, JOIN_FOURTH = 6, 8, 16, 24, 30
SETTLED = 42  # the killed members' sessions (10 s) have expired and the last rebalance is done
TEXT = "@acme_jp my order never arrived, where is it?"  # a complaint: every tweet opens a case
FIRES = (ChangeKind.SLA_WARNING, ChangeKind.SLA_BREACH)


def _feed(bootstrap: str, topic: str, started: float, out: list[str]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    n = 0
    while (elapsed := time.monotonic() - started) < FEED_S:
        while n < elapsed * RATE:
            customer = Author(id=f"6{n:05d}", handle=f"c{n}")
            now = datetime.now(UTC)
            key = case_key("acme", customer.id)
            tweet = tweet_event(f"7{n:05d}", TEXT, author=customer, created_at=now,
                                received_at=now, case_key=key)  # fmt: skip
            producer.send(topic, key=tweet.case_key.encode(), value=TWEETS_RAW.encode(tweet))
            out.append(tweet.case_key)
            n += 1
        time.sleep(0.02)
    producer.flush()
    producer.close()


def _wait_for(logs: Path, names: list[str], line: str, timeout: float) -> None:
    """Until every named worker's log has ``line`` (a log message of the service)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = [(logs / f"{n}.log").read_text(errors="replace") for n in names]
        if all(line in t for t in texts):
            return
        time.sleep(0.5)
    raise AssertionError(f"{names} did not log {line!r} in {timeout:.0f} s")


def _open_cases(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
        text = page.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("tweetcare_sla_open_cases{")
    )


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else max(values, default=0)


def test_workers_join_and_leave_mid_stream_and_every_clock_fires_once(
    kafka_bootstrap: str, fresh_topics: Any, tmp_path: Path
) -> None:
    topics, env = _setup(fresh_topics, tmp_path, kafka_bootstrap)
    raw, raw_dlq = fresh_topics("raw", "rawdlq")
    (tmp_path / "policy.yaml").write_text(POLICY)
    ports = [free_port() for _ in range(4)]

    def env_of(n: int) -> dict[str, str]:
        return {**env, "TWEETCARE_SLA_METRICS_PORT": str(ports[n])}

    def triage_env() -> dict[str, str]:
        return {**env, "TWEETCARE_TRIAGE_APP_ID": env["TWEETCARE_SLA_APP_ID"] + "-triage",
                "TWEETCARE_TRIAGE_IN_TOPIC": raw, "TWEETCARE_TRIAGE_DLQ_TOPIC": raw_dlq,
                "TWEETCARE_TRIAGE_OUT_TOPIC": topics["triaged"],
                "TWEETCARE_TRIAGE_METRICS_PORT": str(free_port())}  # fmt: skip

    keys: list[str] = []
    with (
        worker(["services.cli", "triage", "run"], triage_env(), tmp_path / "t1.log") as triage,
        worker(["services.cli", "triage", "run"], triage_env(), tmp_path / "t2.log") as doomed,
        worker(["services.cli", "sla", "run"], env_of(0), tmp_path / "w1.log") as first,
        worker(["services.cli", "sla", "run"], env_of(1), tmp_path / "w2.log") as second,
    ):
        _wait_for(tmp_path, ["t1", "t2"], "triage started", 120)
        _wait_for(tmp_path, ["w1", "w2"], "partitions assigned", 60)
        started = time.monotonic()
        feeder = threading.Thread(target=_feed, args=(kafka_bootstrap, raw, started, keys))
        feeder.start()

        def at(offset: float) -> None:
            time.sleep(max(0.0, started + offset - time.monotonic()))

        at(KILL_TRIAGE)
        doomed.send_signal(signal.SIGKILL)
        at(JOIN_THIRD)
        with worker(["services.cli", "sla", "run"], env_of(2), tmp_path / "w3.log") as third:
            at(TERM_FIRST)
            first.send_signal(signal.SIGTERM)
            at(KILL_SECOND)
            second.send_signal(signal.SIGKILL)
            at(JOIN_FOURTH)
            with worker(["services.cli", "sla", "run"], env_of(3), tmp_path / "w4.log") as fourth:
                feeder.join()
                at(FEED_S + 8)  # the last clocks (6 s) have fallen due
                wanted = len(keys)
                deadline = time.monotonic() + 60
                events: list[CaseEvent] = []
                while time.monotonic() < deadline:
                    events = [CASES_EVENTS.decode(v) for v in
                              consume(kafka_bootstrap, topics["events"], 10**7, 3)]  # fmt: skip
                    breached = {e.case.case_key for e in events
                                if e.change.kind == ChangeKind.SLA_BREACH}  # fmt: skip
                    if len(breached) >= wanted:
                        break
                time.sleep(2)  # anything doubled would show now
                events = [CASES_EVENTS.decode(v) for v in
                          consume(kafka_bootstrap, topics["events"], 10**7, 3)]  # fmt: skip
                gauges = _open_cases(ports[2]) + _open_cases(ports[3])
                triaged = [orjson.loads(v)["event_id"] for v in
                           consume(kafka_bootstrap, topics["triaged"], 10**7, 3)]  # fmt: skip
                alive = (triage.poll(), third.poll(), fourth.poll())
    logs = "\n".join((tmp_path / f"{n}.log").read_text(errors="replace")[-1500:]
                     for n in ("t1", "t2", "w1", "w2", "w3", "w4"))  # fmt: skip

    distinct = {e.event_id: e for e in events}.values()
    by_case: dict[str, list[CaseEvent]] = defaultdict(list)
    for event in distinct:
        by_case[event.case.case_key].append(event)
    opened = Counter(e.case.case_key for e in distinct if e.change.kind == ChangeKind.OPENED)
    fired = Counter((e.case.case_key, e.change.kind) for e in distinct if e.change.kind in FIRES)
    versions = {key: sorted({e.case_version for e in evs}) for key, evs in by_case.items()}
    versions_skipped = [key for key, vs in versions.items() if vs != list(range(1, vs[-1] + 1))]
    late = [
        (e.change.due_at.timestamp(), (e.occurred_at - e.change.due_at).total_seconds())
        for e in distinct
        if e.change.kind in FIRES and e.change.due_at is not None
    ]
    wall0 = time.time() - (time.monotonic() - started)
    after = [s for due, s in late if due - wall0 > SETTLED]
    during = [s for due, s in late if due - wall0 <= SETTLED]
    figures = {
        "cases": len(set(keys)), "events": len(distinct), "opened": sum(opened.values()),
        "fires": sum(fired.values()), "doubled": sum(1 for n in opened.values() if n > 1)
        + sum(1 for n in fired.values() if n > 1),
        "missing": len(set(keys) - set(opened)) + 2 * len(set(keys)) - len(fired),
        "lateness_p99_during_s": round(_p99(during), 3),
        "lateness_max_during_s": round(max(during), 3),
        "lateness_p99_after_s": round(_p99(after), 3), "fires_after": len(after),
        "triaged": len(triaged), "triaged_again": len(triaged) - len(set(triaged)),
    }  # fmt: skip
    print("sla workers:", json.dumps(figures))

    assert alive == (None, None, None), logs
    assert len(set(keys)) == len(keys) >= RATE * FEED_S * 0.9
    assert set(opened) == set(keys), logs
    assert all(n == 1 for n in opened.values())
    assert {k for k, _ in fired} == set(keys), logs  # every case warned or breached
    assert all(n == 1 for n in fired.values()), [k for k, n in fired.items() if n > 1][:5]
    assert len(fired) == 2 * len(keys)  # one warning and one breach per case
    assert versions_skipped == []
    assert gauges == len(keys)
    assert len(after) >= RATE * (FEED_S - SETTLED)  # enough fires to judge
    assert _p99(after) <= 0.25, figures  # the TweetcareSlaTimerLate alert's threshold
