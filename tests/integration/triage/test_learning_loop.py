"""Triage that learns from its agents, the loop on the real services (issue 18's "done when"):
`triage run` with model A, `sla run` and `api run` on the real Kafka and Elasticsearch (throwaway
topics and indices). A, taught on public data only, takes a kind of tweet this brand's customers
write for a complaint ("my parcel is still on its way, no rush": the weak cue "still" beside a
service); agents close those cases through the API (対応しない, or a correction: needs no reply);
`triage labels` turns their decisions into a CSV; B is trained on the public data plus it;
`eval --compare` shows B better on that kind; `promote` B and the next tweets carry B's version
and decisions; `rollback` returns to A. The agents' verdicts are counted on the API's /metrics
against A's version, the one that triaged those cases. Our own sentences throughout.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from services.plumbing.contracts.codecs import TWEETS_RAW, TWEETS_TRIAGED
from services.plumbing.contracts.tweets import Author, TriagedTweet
from services.triage import versions
from tests.factories import labelled
from tests.factories.tweets import tweet_event
from tests.integration.scrape import page, wait_for_sample
from tests.integration.workers import ROOT, consume, free_port, worker

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

POLICY = "default: {first_response: 1h, next_response: 1h, resolution: 1d}\n"
QUEUE = "general"  # the default configuration's only queue


def _kind(things: tuple[str, ...], phrases: list[str]) -> list[str]:
    return [f"@acme my {thing} {phrase}" for thing in things for phrase in phrases]


# The corrected kind: patient customers telling the brand where their thing is; no complaint.
SEEN = _kind(labelled.THINGS, ["is still on the way, no hurry",
                               "still says in transit, no rush at all",
                               "is still in the post, no worries"])  # fmt: skip
HOLDOUT_KIND = _kind(labelled.THINGS, ["is still in transit, no rush",
                                       "still on its way, no hurry at all"])  # fmt: skip
HOLDOUT_COMPLAINTS = _kind(labelled.THINGS, ["arrived damaged", "is broken, nobody answers"])
LATER_KIND = ["@acme my order is still in transit, no hurry at all",
              "@acme my refund still on its way, no rush"]  # fmt: skip
LATER_COMPLAINT = "@acme my parcel arrived damaged"


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", *args], cwd=ROOT, capture_output=True,
        text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{args}: {done.stderr[-3000:]}"
    return done


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["text", "complaint"])
        out.writerows(rows)
    return path


def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _line(report: str, name: str) -> tuple[float, float]:
    """Old and new figure of one line (``macro-F1``, ``F1 0``) of ``eval --compare``."""
    block = report.split("complaint:", 1)[1]
    match = re.search(rf"^ *{name}\s+([\d.]+)\s+([\d.]+)\s+[+-][\d.]+$", block, re.M)
    assert match, report
    return float(match.group(1)), float(match.group(2))


@dataclass
class Loop:
    env: dict[str, str]
    topics: dict[str, str]
    models: Path
    api: str
    triage_metrics: Callable[[], str]
    producer: KafkaProducer
    logs: Path
    sent: int = 0

    def send(self, text: str) -> str:
        """A customer's tweet (each from its own customer, so each is its own case)."""
        self.sent += 1
        now = datetime.now(UTC)
        n = 7000 + self.sent
        event = tweet_event(f"18620000000000{n}", text, created_at=now, received_at=now,
                            author=Author(id=str(n), handle=f"cust_{n}", followers=50))  # fmt: skip
        self.producer.send(self.topics["raw"], key=event.case_key.encode(),
                           value=TWEETS_RAW.encode(event))  # fmt: skip
        self.producer.flush()
        return event.tweet_id

    def triaged(self, count: int) -> dict[str, TriagedTweet]:
        values = consume(self.env["TWEETCARE_KAFKA_BOOTSTRAP"], self.topics["triaged"], count, 90)
        assert len(values) >= count, self.log("triage")
        return {e.tweet.tweet_id: e for e in map(TWEETS_TRIAGED.decode, values)}

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def loop(fresh_topics: Any, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Loop]:
    names = ["raw", "rawdlq", "triaged", "actions", "results", "events", "outbox", "state"]
    topics = dict(zip(names, fresh_topics(*names), strict=True))
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    prefix = f"t{uuid.uuid4().hex[:10]}"
    api_port, triage_port = free_port(), free_port()
    env = {
        "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TWEETCARE_ES_INDEX_PREFIX": prefix,
        "TWEETCARE_TRIAGE_APP_ID": f"test-triage-{prefix}",
        "TWEETCARE_TRIAGE_IN_TOPIC": topics["raw"],
        "TWEETCARE_TRIAGE_OUT_TOPIC": topics["triaged"],
        "TWEETCARE_TRIAGE_DLQ_TOPIC": topics["rawdlq"],
        "TWEETCARE_TRIAGE_MODEL": str(tmp_path / "models"),
        "TWEETCARE_TRIAGE_CONFIG_CHECK_SECONDS": "0.2",
        "TWEETCARE_TRIAGE_METRICS_PORT": str(triage_port),
        "TWEETCARE_SLA_APP_ID": f"test-sla-{prefix}",
        "TWEETCARE_SLA_TRIAGED_TOPIC": topics["triaged"],
        "TWEETCARE_SLA_ACTIONS_TOPIC": topics["actions"],
        "TWEETCARE_SLA_RESULTS_TOPIC": topics["results"],
        "TWEETCARE_SLA_EVENTS_TOPIC": topics["events"],
        "TWEETCARE_SLA_OUTBOX_TOPIC": topics["outbox"],
        "TWEETCARE_SLA_STATE_TOPIC": topics["state"],
        "TWEETCARE_SLA_POLICY": str(policy),
        "TWEETCARE_SLA_METRICS_PORT": str(free_port()),
        "TWEETCARE_API_PORT": str(api_port),
        "TWEETCARE_API_TWEETS_TOPIC": topics["triaged"],
        "TWEETCARE_API_CASES_TOPIC": topics["events"],
        "TWEETCARE_API_ACTIONS_TOPIC": topics["actions"],
        "TWEETCARE_API_INDEXER_GROUP": f"test-indexer-{prefix}",
        "TWEETCARE_API_TOKEN_CACHE_S": "0",
    }
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    try:
        with ExitStack() as stack:

            def start(name: str) -> None:
                stack.enter_context(worker(["services.cli", name, "run"], env,
                                           tmp_path / f"{name}.log"))  # fmt: skip

            start("sla")
            start("api")
            # Model A, while those start: the public data alone (here our own sentences), the
            # first version of the models directory, so in force.
            public = _write(tmp_path / "public.csv", list(zip(labelled.TEXTS, labelled.COMPLAINT,
                                                              strict=True)))  # fmt: skip
            _cli("triage", "train", "--data", str(public), "--models", str(tmp_path / "models"))
            start("triage")
            base = f"http://127.0.0.1:{api_port}"
            _until(lambda: _status(base + "/readyz") == 200, 90, "api ready")
            yield Loop(env, topics, tmp_path / "models", base,
                       _page(f"http://127.0.0.1:{triage_port}/metrics"), producer,
                       tmp_path)  # fmt: skip
    finally:
        producer.close()
        httpx.request("DELETE", f"http://127.0.0.1:9200/{prefix}-*")


def _page(url: str) -> Callable[[], str]:
    """A metrics page, empty while its service is not answering yet."""

    def read() -> str:
        try:
            return httpx.get(url, timeout=5).text
        except httpx.HTTPError:
            return ""

    return read


def _verdicts(text: str, version: str) -> dict[tuple[str, str], float]:
    """(label, verdict) -> agents' verdicts counted for ``version`` on a /metrics page."""
    return {
        (s.labels["label"], s.labels["verdict"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "tweetcare_triage_agent_verdicts_total"
        and s.labels["model_version"] == version
        and (s.labels["queue"], s.labels["lang"]) == (QUEUE, "en")
    }


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0


def _token(env: dict[str, str], name: str, role: str) -> str:
    made = subprocess.run(
        [sys.executable, "-m", "services.cli", "api", "token", "create", "--name", name,
         "--role", role], env={**os.environ, **env}, cwd=ROOT, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    return made.stdout.strip().splitlines()[0]


def test_agents_corrections_teach_model_b_which_is_promoted_and_rolled_back(
    loop: Loop, tmp_path: Path
) -> None:
    a = versions.current(loop.models)
    assert a is not None
    wait_for_sample(
        loop.triage_metrics, f'tweetcare_triage_model_info{{version="{a}"}} 1.0', timeout_s=90
    )

    # 1. Triage with A: the kind opens cases (A takes it for a complaint), a complaint too.
    kind_ids = [loop.send(text) for text in SEEN]
    complaint_id = loop.send("@acme my card was charged twice, nobody answers")
    decided = loop.triaged(len(SEEN) + 1)
    assert {decided[i].model_version for i in [*kind_ids, complaint_id]} == {a}
    opened = [i for i in kind_ids if decided[i].triage.needs_reply]
    assert len(opened) >= 10, [(decided[i].tweet.text, decided[i].triage.complaint)
                               for i in kind_ids]  # fmt: skip
    assert decided[complaint_id].triage.complaint

    # 2. Agents close the kind's cases through the API: half 対応しない, half a correction.
    agent = httpx.Client(
        base_url=loop.api,
        timeout=30,
        headers={"Authorization": f"Bearer {_token(loop.env, 'Aiko', 'agent')}"},
    )
    with agent:

        def open_cases() -> dict[str, dict[str, Any]]:
            page_ = agent.get(f"/v1/queues/{QUEUE}/cases", params={"limit": 200}).json()
            return {c["case"]["opening_tweet_id"]: c["case"] for c in page_["items"]}

        cases = _until(lambda: (c := open_cases()) and len(c) == len(opened) + 1 and c,
                       60, f"{len(opened) + 1} open cases")  # fmt: skip
        for n, tweet_id in enumerate(opened):
            case_id = cases[tweet_id]["case_id"]
            if n % 2:
                answer = agent.post(f"/v1/cases/{case_id}/no-reply", json={"reason": "no issue"})
            else:
                answer = agent.post(f"/v1/cases/{case_id}/correct", json={"needs_reply": False})
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "applied", answer.text
        closed = agent.post(f"/v1/cases/{cases[complaint_id]['case_id']}/resolve", json={})
        assert closed.status_code == 200, closed.text
        _until(lambda: set(open_cases()) == set(), 30, "every case closed")

    # 3. Their decisions, from the record.
    labels = tmp_path / "labels.csv"
    _cli("triage", "labels", "--out", str(labels), "--bootstrap",
         loop.env["TWEETCARE_KAFKA_BOOTSTRAP"], "--cases-topic", loop.topics["events"],
         "--tweets-topic", loop.topics["triaged"])  # fmt: skip
    with labels.open() as f:
        rows = {r["tweet_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(opened)
    assert {(r["complaint"], r["needs_reply"], r["model_version"], r["triage_complaint"])
            for r in rows.values()} == {("0", "0", a, "1")}  # fmt: skip
    assert {r["needs_reply_source"] for r in rows.values()} == {"corrected", "no_reply"}

    # 4. B: the public data plus the agents' labels; compared with A on held-out tweets.
    public = tmp_path / "public.csv"
    _cli("triage", "train", "--data", str(public), "--data", str(labels),
         "--models", str(loop.models))  # fmt: skip
    b = next(v for v in versions.versions(loop.models) if v != a)
    assert versions.current(loop.models) == a  # a new version waits for its promotion
    holdout = _write(tmp_path / "holdout.csv", [(t, "0") for t in HOLDOUT_KIND]
                     + [(t, "1") for t in HOLDOUT_COMPLAINTS])  # fmt: skip
    report = _cli("triage", "eval", "--compare", a, b, "--data", str(holdout),
                  "--models", str(loop.models)).stdout  # fmt: skip
    old, new = _line(report, "macro-F1")
    assert new >= old + 0.3, report
    # the kind is the holdout's only class 0: A took every one for a complaint, B none
    assert _line(report, "F1 0") == (0.0, 1.0), report
    assert _line(report, "F1 1")[1] >= _line(report, "F1 1")[0], report

    # 5. Promote B: the next tweets carry B's version and decisions.
    _cli("triage", "promote", b, "--models", str(loop.models))
    wait_for_sample(loop.triage_metrics, f'tweetcare_triage_model_info{{version="{b}"}} 1.0')
    later = [loop.send(t) for t in LATER_KIND]
    later_complaint = loop.send(LATER_COMPLAINT)
    decided = loop.triaged(loop.sent)
    assert [(decided[i].model_version, decided[i].triage.complaint,
             decided[i].triage.needs_reply) for i in later] == [(b, False, False)] * 2  # fmt: skip
    assert (decided[later_complaint].model_version, decided[later_complaint].triage.complaint) == (
        b, True)  # fmt: skip

    # 6. Roll back: A again, and A's decision on the kind.
    _cli("triage", "rollback", "--models", str(loop.models))
    wait_for_sample(loop.triage_metrics, f'tweetcare_triage_model_info{{version="{a}"}} 1.0')
    again = loop.send(LATER_KIND[0])
    decided = loop.triaged(loop.sent)
    assert (decided[again].model_version, decided[again].triage.complaint) == (a, True)
    assert versions.current(loop.models) == a

    # 7. The agents' verdicts counted against the version that triaged those cases: A.
    # (a correction says needs-reply only; 対応しない says it too)
    metrics = page(f"{loop.api}/metrics")
    expected = {("needs_reply", "overturned"): float(len(opened)), ("needs_reply", "agreed"): 1.0}
    deadline = time.monotonic() + 30
    while (counted := _verdicts(metrics(), a)) != expected and time.monotonic() < deadline:
        time.sleep(0.3)
    assert counted == expected
    assert _verdicts(metrics(), b) == {}
