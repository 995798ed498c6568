"""An event produced with kafka-python crosses the real broker to a faust agent and back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer

from services.plumbing.contracts.codecs import DEAD_LETTERS, TWEETS_RAW
from services.plumbing.contracts.common import Channel, Direction, case_key
from services.plumbing.contracts.deadletter import DeadLetterReason
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TweetEvent

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]


def _tweet(tweet_id: str, text: str) -> TweetEvent:
    now = datetime(2026, 11, 22, 9, 30, 15, 123000, tzinfo=UTC)
    return TweetEvent(
        event_id=uuid.uuid4().hex,
        tweet_id=tweet_id,
        conversation_id=tweet_id,
        text=text,
        author=Author(id="4001", handle="kumiko_t", followers=210),
        mentions=["acme_jp"],
        brand="acme",
        handle="acme_jp",
        matched=[Match(kind=MatchKind.MENTION, rule="@acme_jp")],
        direction=Direction.INBOUND,
        channel=Channel.PUBLIC,
        case_key=case_key("acme", "4001"),
        created_at=now,
        received_at=now,
        source=Source.GENERATED,
    )


def _consume(
    bootstrap: str, topic: str, count: int, timeout_s: float, worker: subprocess.Popen[bytes]
) -> list[bytes]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(values) < count and time.monotonic() < deadline and worker.poll() is None:
            values.extend(m.value for m in consumer)
    finally:
        consumer.close()
    return values


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_faust_agent_decodes_relays_and_dead_letters(
    kafka_bootstrap: str, fresh_topics: object, tmp_path: Path
) -> None:
    source, out, dlq = fresh_topics("in", "out", "dlq")  # type: ignore[operator]
    good = [
        _tweet("1861000000000000001", "@acme_jp 荷物がまだ届きません。注文番号を確認してください"),
        _tweet("1861000000000000002", "@acme_jp my parcel is late again, what is going on?"),
    ]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(source, key=good[0].case_key.encode(), value=TWEETS_RAW.encode(good[0]))
    producer.send(source, key=b"acme:4001", value=b'{"version": 1, "tweet_id": 17}')
    producer.send(source, key=good[1].case_key.encode(), value=TWEETS_RAW.encode(good[1]))
    producer.flush()
    producer.close()

    env = {
        **os.environ,
        "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TWEETCARE_RELAY_APP_ID": f"test-relay-{uuid.uuid4().hex[:8]}",
        "TWEETCARE_RELAY_IN": source,
        "TWEETCARE_RELAY_OUT": out,
        "TWEETCARE_RELAY_DLQ": dlq,
        "TWEETCARE_RELAY_WEB_PORT": str(web_port := _free_port()),
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.faust_relay_app", "worker", "-l", "warn"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        relayed = _consume(kafka_bootstrap, out, 2, timeout_s=90, worker=worker)
        dead = _consume(kafka_bootstrap, dlq, 1, timeout_s=30, worker=worker)
        health = httpx.get(f"http://127.0.0.1:{web_port}/healthz", timeout=10)
        exposition = httpx.get(f"http://127.0.0.1:{web_port}/metrics", timeout=10)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    worker_log = (tmp_path / "worker.log").read_text(errors="replace")[-3000:]

    decoded = sorted((TWEETS_RAW.decode(v) for v in relayed), key=lambda t: t.tweet_id)
    assert decoded == good, worker_log
    assert len(dead) == 1, worker_log
    letter = DEAD_LETTERS.decode(dead[0])
    assert letter.reason_code == DeadLetterReason.SCHEMA_VIOLATION
    assert "tweet_id" in letter.reason
    assert letter.source_topic == source
    assert letter.payload == '{"version": 1, "tweet_id": 17}'
    assert letter.key == "acme:4001"
    assert health.json() == {"status": "ok"}
    counted = f'tweetcare_dead_letters_total{{reason="schema_violation",topic="{source}"}} 1.0'
    assert counted in exposition.text
