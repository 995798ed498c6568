"""An event produced with kafka-python crosses the real broker to a faust agent and back."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from kafka import KafkaProducer

from services.plumbing.contracts.codecs import DEAD_LETTERS, TWEETS_RAW
from services.plumbing.contracts.deadletter import DeadLetterReason
from tests.factories.tweets import tweet_event
from tests.integration.workers import consume, free_port, worker

pytestmark = pytest.mark.kafka


def test_faust_agent_decodes_relays_and_dead_letters(
    kafka_bootstrap: str, fresh_topics: object, tmp_path: Path
) -> None:
    source, out, dlq = fresh_topics("in", "out", "dlq")  # type: ignore[operator]
    good = [
        tweet_event(
            "1861000000000000001", "@acme_jp 荷物がまだ届きません。注文番号を確認してください"
        ),
        tweet_event("1861000000000000002", "@acme_jp my parcel is late again, what is going on?"),
    ]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(source, key=good[0].case_key.encode(), value=TWEETS_RAW.encode(good[0]))
    producer.send(source, key=b"acme:4001", value=b'{"version": 1, "tweet_id": 17}')
    producer.send(source, key=good[1].case_key.encode(), value=TWEETS_RAW.encode(good[1]))
    producer.flush()
    producer.close()

    env = {
        "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TWEETCARE_RELAY_APP_ID": f"test-relay-{uuid.uuid4().hex[:8]}",
        "TWEETCARE_RELAY_IN": source,
        "TWEETCARE_RELAY_OUT": out,
        "TWEETCARE_RELAY_DLQ": dlq,
        "TWEETCARE_RELAY_WEB_PORT": str(web_port := free_port()),
    }
    args = ["tests.integration.faust_relay_app", "worker", "-l", "warn"]
    with worker(args, env, tmp_path / "worker.log") as proc:
        relayed = consume(kafka_bootstrap, out, 2, timeout_s=90, proc=proc)
        dead = consume(kafka_bootstrap, dlq, 1, timeout_s=30, proc=proc)
        health = httpx.get(f"http://127.0.0.1:{web_port}/healthz", timeout=10)
        exposition = httpx.get(f"http://127.0.0.1:{web_port}/metrics", timeout=10)
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
