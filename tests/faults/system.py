"""The fault suite's system: a private Kafka and Elasticsearch (started by the project's own
``services.localinfra``, on free ports with a state directory of their own, the downloads cache
shared), the four services as the demo starts them (``services.demo.cli.children``), an agent
replying through the API, and readers of every topic and index the reconciliation needs.

Nothing here touches the shared infrastructure on the default ports: every address the services
get comes from the environment built here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from services.api.cases.actions import keyed_ids
from services.api.readmodel.indices import CASES, TWEETS, index_name
from services.demo import supervisor
from services.demo.cli import ROUTING, children, seed
from services.demo.settings import DemoSettings
from services.localinfra import elasticsearch, kafka
from services.localinfra.procs import is_alive, start_detached, stop_pids, tail, wait_until
from services.localinfra.provision import create_topics, put_templates
from services.localinfra.settings import InfraSettings
from services.plumbing.contracts import codecs
from tests.faults.reconcile import CaseEventRow, ClockRow, ReplyRequest, ReplyResult, Tweet

ROOT = Path(__file__).resolve().parents[2]
Say = Callable[[str], None]

FIRST_RESPONSE_S = 20
NEXT_RESPONSE_S = 30
POLICY = f"""\
# tests/faults: clocks short enough that breaches happen during every fault.
warn_at: [0.5]
reopen_window: 1d
default: {{first_response: {FIRST_RESPONSE_S}s, next_response: {NEXT_RESPONSE_S}s, resolution: 1h}}
escalation:
  on_warning: []
  on_breach: [raise_priority]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateInfra:
    """Kafka and Elasticsearch of the suite's own: free ports, a fresh state directory (under
    /tmp, which Elasticsearch's own user can enter when we run as root), the shared cache."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.state_dir = Path(tempfile.mkdtemp(prefix="tweetcare-faults-"))
        self.settings = InfraSettings(
            kafka_bootstrap=f"127.0.0.1:{free_port()}",
            kafka_controller_port=free_port(),
            es_url=f"http://127.0.0.1:{free_port()}",
            es_transport_port=free_port(),
            state_dir=self.state_dir,
        )

    def up(self) -> None:
        s = self.settings
        self.say(f"private Kafka {s.kafka_bootstrap} and Elasticsearch {s.es_url}, state in "
                 f"{self.state_dir}, downloads from {s.cache_dir}")  # fmt: skip
        for comp in (kafka, elasticsearch):
            comp.ensure_installed(s)
            comp.start(s)
        self.await_healthy(kafka)
        self.await_healthy(elasticsearch)
        create_topics(s)
        put_templates(s)

    def await_healthy(self, comp: Any) -> None:
        began = time.monotonic()
        ok = wait_until(lambda: bool(comp.healthy(self.settings)), 180)
        assert ok, comp.failure_hint(self.settings)
        self.say(f"{comp.NAME} healthy in {time.monotonic() - began:.1f}s")

    def stop(self, comp: Any) -> None:
        pids = comp.pids(self.settings)
        assert pids, f"{comp.NAME} is not running"
        stop_pids(pids, grace_s=60)
        comp.pid_file(self.settings).unlink(missing_ok=True)

    def start(self, comp: Any) -> None:
        comp.start(self.settings)
        self.await_healthy(comp)

    def down(self) -> None:
        for comp in (elasticsearch, kafka):
            pids = comp.pids(self.settings)
            if pids:
                stop_pids(pids, grace_s=30)
        shutil.rmtree(self.state_dir, ignore_errors=True)


@dataclass
class Services:
    """The four services, each restartable after a kill; their logs in ``home``."""

    home: Path
    settings: DemoSettings
    env: dict[str, str]
    say: Say
    pids: dict[str, int] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)  # services found dead, restarted

    @classmethod
    def create(cls, infra: InfraSettings, home: Path, say: Say, per_minute: int) -> Services:
        home.mkdir(parents=True, exist_ok=True)
        (home / "policy.yaml").write_text(POLICY)
        settings = DemoSettings(
            kafka_bootstrap=infra.kafka_bootstrap, es_url=infra.es_url, demo_state_dir=home,
            api_port=free_port(), ingest_metrics_port=free_port(),
            triage_metrics_port=free_port(), sla_metrics_port=free_port(),
        )  # fmt: skip
        # Nothing of the caller's tweetcare settings (a namespace, X credentials, ports) leaks in.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TWEETCARE_", "X_"))}
        env.update({
            "TWEETCARE_CACHE_DIR": str(infra.cache_dir),
            "TWEETCARE_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
            "TWEETCARE_ES_URL": infra.es_url,
            "TWEETCARE_API_PORT": str(settings.api_port),
            "TWEETCARE_INGEST_METRICS_PORT": str(settings.ingest_metrics_port),
            "TWEETCARE_TRIAGE_METRICS_PORT": str(settings.triage_metrics_port),
            "TWEETCARE_SLA_METRICS_PORT": str(settings.sla_metrics_port),
            "TWEETCARE_SLA_POLICY": str(home / "policy.yaml"),
            "TWEETCARE_TRIAGE_CONFIG": str(ROUTING),
            "TWEETCARE_X_STATE_DIR": str(home / "ingest"),
            "TWEETCARE_INGEST_GENERATE_PER_MINUTE": str(per_minute),
            "PYTHONUNBUFFERED": "1",
        })  # fmt: skip
        return cls(home, settings, env, say)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.api_port}"

    @property
    def children(self) -> dict[str, supervisor.Child]:
        return {c.name: c for c in children(self.settings)}

    def start(self, name: str) -> None:
        child = self.children[name]
        self.pids[name] = start_detached(
            child.argv, log_file=self.home / f"{name}.log", pid_file=self.home / f"{name}.pid",
            env={**self.env, **child.env}, cwd=ROOT,
        )  # fmt: skip

    def await_ready(self, name: str, timeout_s: float = 180) -> None:
        child = self.children[name]
        began = time.monotonic()
        assert child.ready_url is not None
        url = child.ready_url
        if supervisor.answers(url):
            return
        while not supervisor.answers(url):
            assert is_alive(self.pids[name]), f"{name} stopped while starting:\n{self.log(name)}"
            assert time.monotonic() - began < timeout_s, f"{name} not ready:\n{self.log(name)}"
            time.sleep(0.5)
        self.say(f"{name} ready in {time.monotonic() - began:.1f}s (pid {self.pids[name]})")

    def start_all(self) -> None:
        for name in self.children:
            self.start(name)
        for name in self.children:
            self.await_ready(name)

    def kill(self, name: str) -> None:
        """SIGKILL the service's process group (it leads its own session)."""
        pid = self.pids[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        assert wait_until(lambda: not is_alive(pid), 10), f"{name} (pid {pid}) survived SIGKILL"

    def stop(self, name: str) -> None:
        stop_pids([self.pids[name]], grace_s=30)

    def stop_all(self) -> None:
        for name, pid in reversed(list(self.pids.items())):
            if is_alive(pid):
                stop_pids([pid], grace_s=20)
                self.say(f"stopped {name}")

    def revive_dead(self) -> None:
        """Restart any service that stopped on its own (a Kubernetes restart policy would),
        recording it: the report names each."""
        for name, pid in list(self.pids.items()):
            if not is_alive(pid):
                self.unexpected.append(name)
                self.say(f"!! {name} (pid {pid}) stopped on its own; restarting it. Its log ends:"
                         f"\n{self.log(name)}")  # fmt: skip
                self.start(name)
                self.await_ready(name)

    def log(self, name: str) -> str:
        return tail(self.home / f"{name}.log", 15)

    def agent_token(self) -> str:
        return asyncio.run(seed(self.settings))["agent"]


class Replier(threading.Thread):
    """An agent replying to unclaimed cases through the API every ``every_s``, each reply with
    an Idempotency-Key and a text of its own; a reply not answered (the API down, 5xx, 202) is
    retried with the same key, as the console does. ``accepted``: reply id → text, the replies
    the API answered 200."""

    def __init__(self, api_url: str, token: str, say: Say, every_s: float = 2.0) -> None:
        super().__init__(name="replier", daemon=True)
        self.client = httpx.Client(base_url=api_url, timeout=30,
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        self.say = say
        self.every_s = every_s
        self.accepted: dict[str, str] = {}
        self.pending: dict[str, tuple[str, str]] = {}  # key → (case id, text)
        self.rejected: dict[str, str] = {}  # key → code
        self.tried: set[str] = set()
        self.errors = 0
        self.last_error = ""
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(self.every_s):
            try:
                self.step()
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                self.errors += 1
                self.last_error = repr(exc)

    def step(self) -> None:
        for key, (case_id, text) in list(self.pending.items()):
            self.post(case_id, key, text)
        case_id = self.pick()
        if case_id is not None:
            key = uuid.uuid4().hex[:16]
            self.tried.add(case_id)
            self.post(case_id, key, f"Thanks, we are looking into it now (ref {key})")

    def pick(self) -> str | None:
        queues = self.client.get("/v1/queues")
        if queues.status_code != 200:
            return None
        for q in queues.json():
            page = self.client.get(f"/v1/queues/{q['queue']}/cases",
                                   params={"unassigned": "true", "limit": 20})  # fmt: skip
            if page.status_code != 200:
                continue
            for item in page.json()["items"]:
                case_id = str(item["case"]["case_id"])
                if case_id not in self.tried:
                    return case_id
        return None

    def post(self, case_id: str, key: str, text: str) -> None:
        try:
            body = {"text": text, "allow_pii": True}
            answer = self.client.post(
                f"/v1/cases/{case_id}/reply", json=body, headers={"Idempotency-Key": key}
            )
        except httpx.HTTPError:
            self.pending[key] = (case_id, text)
            self.errors += 1
            return
        if answer.status_code == 200:
            self.pending.pop(key, None)
            self.accepted[keyed_ids(case_id, key)[1]] = text
        elif 400 <= answer.status_code < 500 and answer.status_code != 429:
            self.pending.pop(key, None)
            self.rejected[key] = str(answer.json().get("error", {}).get("code", answer.status_code))
        else:
            self.pending[key] = (case_id, text)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=60)


def read_topic(bootstrap: str, topic: str) -> list[bytes]:
    """Every record of ``topic`` up to its end now, partition by partition (each in order)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             group_id=None, request_timeout_ms=30_000)  # fmt: skip
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        got: dict[int, list[bytes]] = {tp.partition: [] for tp in parts}
        deadline = time.monotonic() + 120
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            assert time.monotonic() < deadline, f"reading {topic} took over 120 s"
            for tp, records in consumer.poll(timeout_ms=1000, max_records=5000).items():
                got[tp.partition] += [r.value for r in records if r.offset < ends[tp]]
        return [v for p in sorted(got) for v in got[p]]
    finally:
        consumer.close()


def end_offsets(bootstrap: str, topics: list[str]) -> int:
    """The sum of the end offsets of ``topics`` (grows while anything is written)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        parts = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t)]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def raw_tweets(bootstrap: str) -> list[Tweet]:
    out = []
    for value in read_topic(bootstrap, codecs.TWEETS_RAW.topic):
        t = codecs.TWEETS_RAW.decode(value)
        out.append(Tweet(t.tweet_id, t.event_id, t.direction.value, t.text))
    return out


def case_events(bootstrap: str) -> list[CaseEventRow]:
    out = []
    for value in read_topic(bootstrap, codecs.CASES_EVENTS.topic):
        e = codecs.CASES_EVENTS.decode(value)
        clocks = tuple(ClockRow(c.name.value, c.status.value, c.due_at) for c in e.case.clocks)
        out.append(CaseEventRow(
            e.event_id, e.case.case_id, e.case_version, e.change.kind.value, e.occurred_at,
            e.case.state.value, e.change.clock.value if e.change.clock else None,
            e.change.due_at, clocks,
        ))  # fmt: skip
    return out


def outbox(bootstrap: str) -> tuple[list[ReplyRequest], list[ReplyResult]]:
    requests = [
        ReplyRequest(r.reply_id, r.case_id, r.text)
        for r in map(codecs.OUTBOX_REPLIES.decode, read_topic(bootstrap, "outbox.replies"))
    ]
    results = [
        ReplyResult(r.reply_id, r.status, r.posted_tweet_id, r.error_code, r.error)
        for r in map(codecs.OUTBOX_RESULTS.decode, read_topic(bootstrap, "outbox.results"))
    ]
    return requests, results


def dead_letters(bootstrap: str) -> dict[str, int]:
    """Records on each dead-letter topic that has any."""
    topics = [f"{t.value}.dlq" for t in codecs.TopicName]
    return {t: n for t in topics if (n := len(read_topic(bootstrap, t)))}


def _search_all(es_url: str, index: str, fields: list[str]) -> list[dict[str, Any]]:
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_url, request_timeout=60)
    try:
        es.indices.refresh(index=index)
        found: Any = es.search(index=index, size=10_000, source=fields,
                               query={"match_all": {}}, track_total_hits=True)  # fmt: skip
        hits = found["hits"]["hits"]
        total = found["hits"]["total"]["value"]
        assert total == len(hits), f"{index} holds {total} documents: more than one page"
        return [h["_source"] for h in hits]
    finally:
        es.close()


def indexed_tweets(es_url: str) -> list[str]:
    return [d["tweet_id"] for d in _search_all(es_url, index_name("tweetcare", TWEETS),
                                              ["tweet_id"])]  # fmt: skip


def indexed_cases(es_url: str) -> dict[str, int]:
    docs = _search_all(es_url, index_name("tweetcare", CASES), ["case_id", "case_version"])
    return {d["case_id"]: int(d["case_version"]) for d in docs}
