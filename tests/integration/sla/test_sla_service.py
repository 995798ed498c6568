"""`tweetcare sla run` through the real broker: cases open and thread, claims collide (first wins),
a reply goes out via the outbox and counts when the brand's tweet comes back, resolve and reopen,
breaches fire on time, a malformed action is dead-lettered, and a worker killed with SIGKILL
and restarted fires every due breach exactly once and loses no case."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from services.plumbing.contracts.cases import CaseEvent, CaseState, ChangeKind
from services.plumbing.contracts.codecs import (
    AGENT_ACTIONS,
    CASES_EVENTS,
    DEAD_LETTERS,
    OUTBOX_REPLIES,
    TWEETS_TRIAGED,
)
from services.plumbing.contracts.deadletter import DeadLetterReason
from services.plumbing.contracts.tweets import Author
from tests.factories.sla import AGENT_A, AGENT_B, action, triaged
from tests.integration.workers import consume, free_port, worker

pytestmark = pytest.mark.kafka

POLICY = """
warn_at: [0.5]
default: {first_response: 4s, next_response: 4s, resolution: 1h}
"""


def _setup(
    fresh_topics: Any, tmp_path: Path, bootstrap: str
) -> tuple[dict[str, str], dict[str, str]]:
    names = ["triaged", "actions", "results", "events", "outbox", "state", "actdlq"]
    topics = dict(zip(names, fresh_topics(*names), strict=True))
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    env = {
        "TWEETCARE_KAFKA_BOOTSTRAP": bootstrap,
        "TWEETCARE_SLA_APP_ID": f"test-sla-{uuid.uuid4().hex[:8]}",
        "TWEETCARE_SLA_TRIAGED_TOPIC": topics["triaged"],
        "TWEETCARE_SLA_ACTIONS_TOPIC": topics["actions"],
        "TWEETCARE_SLA_RESULTS_TOPIC": topics["results"],
        "TWEETCARE_SLA_EVENTS_TOPIC": topics["events"],
        "TWEETCARE_SLA_OUTBOX_TOPIC": topics["outbox"],
        "TWEETCARE_SLA_STATE_TOPIC": topics["state"],
        "TWEETCARE_SLA_POLICY": str(policy),
        "TWEETCARE_SLA_METRICS_PORT": str(free_port()),
    }
    return topics, env


def _events(bootstrap: str, topic: str, until: Callable[[list[CaseEvent]], bool], proc: Any,
            timeout: float = 60) -> list[CaseEvent]:  # fmt: skip
    deadline = time.monotonic() + timeout
    events: list[CaseEvent] = []
    while time.monotonic() < deadline and proc.poll() is None:
        events = [CASES_EVENTS.decode(v) for v in consume(bootstrap, topic, 10**6, timeout_s=1.5)]
        if until(events):
            break
    return events


def _where(bootstrap: str, topics: dict[str, str], group: str) -> str:
    """What Kafka holds for a failing restart test: end offsets, the group's commits, members."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        ends = {
            name: sorted((tp.partition, at) for tp, at in consumer.end_offsets(
                [TopicPartition(topics[name], p) for p in range(4)]).items())
            for name in ("triaged", "events", "state")
        }  # fmt: skip
        commits = admin.list_group_offsets({group: None}).get(group, {})
        at = sorted((tp.topic, tp.partition, o.offset) for tp, o in commits.items())
        return f"ends {ends}\ncommitted {at}\ngroup {admin.describe_groups([group])}"
    finally:
        consumer.close()
        admin.close()


def _kinds(events: list[CaseEvent], case_id: str) -> list[ChangeKind]:
    return [e.change.kind for e in events if e.case.case_id == case_id]


def test_cases_claims_outbox_reply_resolve_reopen_and_breach(
    kafka_bootstrap: str, fresh_topics: Any, tmp_path: Path
) -> None:
    topics, env = _setup(fresh_topics, tmp_path, kafka_bootstrap)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)

    def send(topic: str, key: str, value: bytes) -> None:
        producer.send(topics[topic], key=key.encode(), value=value)
        producer.flush()

    now = datetime.now(UTC)
    quiet = Author(id="4002", handle="quiet_q", followers=10)
    opening = triaged("5001", now, conversation="5001")
    ignored = triaged("5101", now, conversation="5101", customer=quiet)
    send("triaged", "acme:4001", TWEETS_TRIAGED.encode(opening))
    send("triaged", "acme:4002", TWEETS_TRIAGED.encode(ignored))
    with worker(["services.cli", "sla", "run"], env, tmp_path / "sla.log") as proc:
        events = _events(kafka_bootstrap, topics["events"], lambda e: len(e) >= 2, proc)
        case_a = next(e.case for e in events if e.case.customer.id == "4001")
        case_b = next(e.case for e in events if e.case.customer.id == "4002")
        t = datetime.now(UTC)
        claim_a = action("claim", case_a.case_id, t, AGENT_A)
        claim_b = action("claim", case_a.case_id, t, AGENT_B)
        reply = action("reply", case_a.case_id, t, AGENT_A, reply_id="r-1", text="Sorry! Checking.",
                       channel="public")  # fmt: skip
        for a in (claim_a, claim_b):
            send("actions", "acme:4001", AGENT_ACTIONS.encode(a))
        send("actions", "acme:4001", b'{"kind": "claim", "version": 1}')
        send("actions", "acme:4001", AGENT_ACTIONS.encode(reply))
        outbox = consume(kafka_bootstrap, topics["outbox"], 1, timeout_s=30, proc=proc)
        brand_reply = triaged("5002", datetime.now(UTC), outbound=True, conversation="5001")
        send("triaged", "acme:4001", TWEETS_TRIAGED.encode(brand_reply))
        # Actions and tweets are two topics: nothing orders them against each other, so each
        # step waits for the previous one's event (as an agent acts on what it sees).
        _events(kafka_bootstrap, topics["events"],
                lambda e: ChangeKind.RESPONDED in _kinds(e, case_a.case_id), proc)  # fmt: skip
        resolve = action("resolve", case_a.case_id, datetime.now(UTC), AGENT_A)
        send("actions", "acme:4001", AGENT_ACTIONS.encode(resolve))
        _events(kafka_bootstrap, topics["events"],
                lambda e: ChangeKind.STATE_CHANGED in _kinds(e, case_a.case_id), proc)  # fmt: skip
        again = triaged("5003", datetime.now(UTC), conversation="5001")
        send("triaged", "acme:4001", TWEETS_TRIAGED.encode(again))
        events = _events(
            kafka_bootstrap, topics["events"],
            lambda e: ChangeKind.REOPENED in _kinds(e, case_a.case_id)
            and ChangeKind.SLA_BREACH in _kinds(e, case_b.case_id),
            proc,
        )  # fmt: skip
        dead = consume(kafka_bootstrap, f"{topics['actions']}.dlq", 1, timeout_s=20, proc=proc)
    producer.close()
    log = (tmp_path / "sla.log").read_text(errors="replace")[-3000:]

    clocks = {ChangeKind.SLA_WARNING, ChangeKind.SLA_BREACH}  # timing-dependent on case A
    assert [k for k in _kinds(events, case_a.case_id) if k not in clocks] == [
        ChangeKind.OPENED, ChangeKind.CLAIMED, ChangeKind.ACTION_REJECTED,
        ChangeKind.REPLY_REQUESTED, ChangeKind.RESPONDED, ChangeKind.STATE_CHANGED,
        ChangeKind.REOPENED,
    ], log  # fmt: skip
    by_action = {e.outcome.action_id: e.outcome for e in events if e.outcome}
    assert by_action[claim_a.event_id].status == "applied"
    assert (by_action[claim_b.event_id].status, by_action[claim_b.event_id].code) == (
        "rejected", "claimed_by_other",
    )  # fmt: skip
    assert by_action[resolve.event_id].status == "applied"
    [posted] = [OUTBOX_REPLIES.decode(v) for v in outbox]
    assert (posted.reply_id, posted.in_reply_to_tweet_id, posted.text) == (
        "r-1", "5001", "Sorry! Checking.",
    )  # fmt: skip
    responded = next(e for e in events if e.change.kind == ChangeKind.RESPONDED)
    assert responded.case.first_response_at == brand_reply.tweet.created_at
    last_a = [e for e in events if e.case.case_id == case_a.case_id][-1]
    assert (last_a.case.state, last_a.case.reopen_count) == (CaseState.NEW, 1)
    versions = [e.case_version for e in events if e.case.case_id == case_a.case_id]
    assert versions == sorted(versions)

    b_kinds = _kinds(events, case_b.case_id)
    b_seen = [(e.change.kind.value, e.change.clock, e.change.fraction, e.event_id[:6],
               e.case_version, str(e.occurred_at.time())) for e in events
              if e.case.case_id == case_b.case_id]  # fmt: skip
    assert b_kinds.count(ChangeKind.SLA_WARNING) == 1, b_seen
    assert b_kinds.count(ChangeKind.SLA_BREACH) == 1
    breach = next(e for e in events if e.change.kind == ChangeKind.SLA_BREACH)
    assert breach.change.due_at is not None
    lag = (breach.occurred_at - breach.change.due_at).total_seconds()
    assert 0 <= lag < 5.0, lag  # precision is measured by bench.sla_timers, not here

    assert len(dead) == 1
    letter = DEAD_LETTERS.decode(dead[0])
    assert letter.reason_code == DeadLetterReason.SCHEMA_VIOLATION


def test_sigkill_and_restart_fire_every_due_breach_exactly_once(
    kafka_bootstrap: str, fresh_topics: Any, tmp_path: Path
) -> None:
    topics, env = _setup(fresh_topics, tmp_path, kafka_bootstrap)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    customers = [f"70{n:02d}" for n in range(30)]
    for n, customer in enumerate(customers):
        tt = triaged(f"80{n:02d}", datetime.now(UTC), conversation=f"80{n:02d}",
                     customer=Author(id=customer, handle=f"c{customer}"))  # fmt: skip
        producer.send(topics["triaged"], key=f"acme:{customer}".encode(),
                      value=TWEETS_TRIAGED.encode(tt))  # fmt: skip
    producer.flush()
    with worker(["services.cli", "sla", "run"], env, tmp_path / "first.log") as proc:
        opened = _events(kafka_bootstrap, topics["events"], lambda e: len(e) >= 30, proc)
        assert len({e.case.case_id for e in opened}) == 30
        proc.send_signal(signal.SIGKILL)  # before any breach is due (4 s)
        proc.wait(timeout=10)
    time.sleep(6)  # every breach falls due while no worker runs
    with worker(["services.cli", "sla", "run"], env, tmp_path / "second.log") as proc:
        events = _events(
            kafka_bootstrap, topics["events"],
            lambda e: len({x.case.case_id for x in e if x.change.kind == ChangeKind.SLA_BREACH})
            >= 30,
            proc, timeout=90,
        )  # fmt: skip
        time.sleep(3)  # anything extra would show up now
        events = [
            CASES_EVENTS.decode(v) for v in consume(kafka_bootstrap, topics["events"], 10**6, 3)
        ]
    producer.close()
    log = (tmp_path / "second.log").read_text(errors="replace")[-3000:]
    log += "\nfirst worker:\n" + (tmp_path / "first.log").read_text(errors="replace")[-3000:]
    log += "\n" + _where(kafka_bootstrap, topics, env["TWEETCARE_SLA_APP_ID"])
    breaches = [e for e in events if e.change.kind == ChangeKind.SLA_BREACH]
    assert len({e.case.case_id for e in breaches}) == 30, log
    assert len({e.event_id for e in breaches}) == 30  # one breach per case and clock
    assert len({e.case.case_id for e in events if e.change.kind == ChangeKind.OPENED}) == 30
