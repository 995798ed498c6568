"""`tweetcare triage labels` reads the agents' decisions from the real topics (our own words)."""

from __future__ import annotations

import csv
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from services.plumbing.contracts.actions import Verdict
from services.plumbing.contracts.cases import CaseEvent, Change, ChangeKind, Correction
from services.plumbing.contracts.codecs import CASES_EVENTS, TWEETS_TRIAGED
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.tweets import Author
from services.triage.datasets import read_datasets
from tests.factories.readmodel import AGENT, at, case, triaged_tweet
from tests.integration.workers import ROOT

pytestmark = pytest.mark.kafka


def _decided(
    case_id: str, tweet_id: str, kind: ChangeKind, minutes: float, **said: Any
) -> CaseEvent:
    subject = case(case_id, opening_tweet_id=tweet_id)
    record = Correction(tweet_id=tweet_id, triage=Verdict(), agent=Verdict(**said),
                        agent_id=AGENT.id, at=at(minutes))  # fmt: skip
    return CaseEvent(
        event_id=uuid.uuid4().hex, case_version=1, occurred_at=at(minutes),
        change=Change(kind=kind, by=AGENT, correction=record), case=subject,
    )  # fmt: skip


def test_labels_command_writes_the_agents_decisions_from_kafka(
    kafka_bootstrap: str, fresh_topics: object, tmp_path: Path
) -> None:
    cases_topic, tweets_topic = fresh_topics("cases", "triaged")  # type: ignore[operator]
    tweets = [
        triaged_tweet("t-1", "@acme my card was charged twice", complaint=False),
        triaged_tweet("t-2", "@acme win a free phone click here", complaint=True),
        triaged_tweet("t-3", "@acme the parcel never came", complaint=False, needs_reply=False),
        triaged_tweet(
            "r-3",
            "@kumiko_t So sorry for the trouble, DM us",
            author=Author(id="9000", handle="acme_jp"),
            direction=Direction.OUTBOUND,
            in_reply_to_tweet_id="t-3",
        ),
        triaged_tweet("t-4", "@acme nobody decided on this one"),
    ]
    reply = CaseEvent(
        event_id=uuid.uuid4().hex, case_version=2, occurred_at=at(9),
        change=Change(kind=ChangeKind.RESPONDED, tweet_id="r-3"),
        case=case("c-3", opening_tweet_id="t-3"),
    )  # fmt: skip
    events = [
        _decided("c-1", "t-1", ChangeKind.CORRECTED, 1, needs_reply=True),
        _decided("c-2", "t-2", ChangeKind.STATE_CHANGED, 2, spam=True),
        _decided("c-3", "t-3", ChangeKind.OPENED, 3, needs_reply=True),
        reply,
    ]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for t in tweets:
        producer.send(tweets_topic, key=t.tweet.case_key.encode(), value=TWEETS_TRIAGED.encode(t))
    for e in events:
        producer.send(cases_topic, key=e.case.case_key.encode(), value=CASES_EVENTS.encode(e))
    producer.send(cases_topic, key=b"acme:1", value=b"not json")
    producer.flush()
    producer.close()

    out = tmp_path / "labels" / "agents.csv"
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "triage", "labels", "--out", str(out),
         "--bootstrap", kafka_bootstrap, "--cases-topic", cases_topic,
         "--tweets-topic", tweets_topic],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    with out.open(newline="", encoding="utf-8") as stream:
        rows = {r["tweet_id"]: r for r in csv.DictReader(stream)}
    assert set(rows) == {"t-1", "t-2", "t-3"}
    assert (rows["t-1"]["needs_reply"], rows["t-1"]["needs_reply_source"]) == ("1", "corrected")
    assert (rows["t-2"]["spam"], rows["t-2"]["complaint"]) == ("1", "0")
    assert (rows["t-3"]["complaint"], rows["t-3"]["complaint_source"]) == ("1", "reply_apology")
    assert rows["t-3"]["triage_complaint"] == "0"
    assert read_datasets(out)["complaint"] == (
        ["@acme win a free phone click here", "@acme the parcel never came"],
        ["0", "1"],
    )
    assert "labels: 3 tweets written" in done.stderr
    assert "1 undecodable records skipped" in done.stderr
