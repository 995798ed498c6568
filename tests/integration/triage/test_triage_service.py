"""`tweetcare triage run` through the real broker: batches triaged, bad input dead-lettered,
configuration reloaded without a restart, everything counted on /metrics."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from kafka import KafkaProducer

from services.plumbing.contracts.codecs import DEAD_LETTERS, TWEETS_RAW, TWEETS_TRIAGED
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.deadletter import DeadLetterReason
from services.plumbing.contracts.tweets import Author, PiiKind, Topic
from tests.factories.tweets import tweet_event
from tests.integration.scrape import page, wait_for_sample
from tests.integration.workers import consume, free_port, worker

pytestmark = pytest.mark.kafka

CONFIG = """
default_queue: general
routes:
  - queue: jp-care
    when: {lang: [ja]}
"""
RELOADED = """
default_queue: general
routes:
  - queue: jp-billing
    when: {lang: [ja], topic: [billing]}
  - queue: jp-care
    when: {lang: [ja]}
"""


def test_triage_service_triages_dead_letters_and_reloads(
    kafka_bootstrap: str, fresh_topics: object, tmp_path: Path
) -> None:
    raw, triaged, dlq = fresh_topics("raw", "triaged", "raw-dlq")  # type: ignore[operator]
    config = tmp_path / "triage.yaml"
    config.write_text(CONFIG)
    en = tweet_event(
        "1861000000000000101",
        "@acme_jp my parcel never arrived and nobody answers, this is ridiculous",
        author=Author(id="5001", handle="dana_w", followers=90),
    )
    ja = tweet_event(
        "1861000000000000102", "@acme_jp 注文番号 A1234567 の荷物が届きません。どうなっていますか？"
    )
    own = tweet_event(
        "1861000000000000103",
        "@kumiko_t ご不便をおかけしております。DMで詳細をお知らせください。",
        author=Author(id="9000", handle="acme_jp", followers=50_000),
        direction=Direction.OUTBOUND,
    )
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(raw, key=en.case_key.encode(), value=TWEETS_RAW.encode(en))
    producer.send(raw, key=b"acme:4001", value=b"\xff\xfe not json")
    for event in (ja, own):
        producer.send(raw, key=event.case_key.encode(), value=TWEETS_RAW.encode(event))
    producer.flush()

    env = {
        "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TWEETCARE_TRIAGE_APP_ID": f"test-triage-{raw.rsplit('.', 1)[-1]}",
        "TWEETCARE_TRIAGE_IN_TOPIC": raw,
        "TWEETCARE_TRIAGE_OUT_TOPIC": triaged,
        "TWEETCARE_TRIAGE_DLQ_TOPIC": dlq,
        "TWEETCARE_TRIAGE_CONFIG": str(config),
        "TWEETCARE_TRIAGE_CONFIG_CHECK_SECONDS": "0.2",
        "TWEETCARE_TRIAGE_METRICS_PORT": str(port := free_port()),
    }
    with worker(["services.cli", "triage", "run"], env, tmp_path / "triage.log") as proc:
        first = consume(kafka_bootstrap, triaged, 3, timeout_s=90, proc=proc)
        dead = consume(kafka_bootstrap, dlq, 1, timeout_s=30, proc=proc)
        config.write_text(RELOADED)
        reloaded = 'tweetcare_triage_config_reloads_total{result="applied"} 1.0'
        wait_for_sample(page(f"http://127.0.0.1:{port}/metrics"), reloaded)
        bill = tweet_event(
            "1861000000000000104", "@acme_jp 請求金額が二重になっています。返金してください"
        )
        producer.send(raw, key=bill.case_key.encode(), value=TWEETS_RAW.encode(bill))
        producer.flush()
        after = consume(kafka_bootstrap, triaged, 4, timeout_s=60, proc=proc)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    producer.close()
    log = (tmp_path / "triage.log").read_text(errors="replace")

    events = {e.tweet.tweet_id: e for e in map(TWEETS_TRIAGED.decode, after)}
    assert len(first) == 3, log[-3000:]
    assert len(after) == 4, log[-3000:]
    assert set(events) == {en.tweet_id, ja.tweet_id, own.tweet_id, bill.tweet_id}
    e, j, o, b = (events[t.tweet_id] for t in (en, ja, own, bill))
    assert (e.triage.lang, e.triage.complaint, e.triage.needs_reply, e.triage.queue) == (
        "en", True, True, "general",
    )  # fmt: skip
    assert (j.triage.lang, j.triage.complaint, j.triage.queue) == ("ja", True, "jp-care")
    assert PiiKind.ORDER_NUMBER in j.triage.pii
    assert j.triage.move_to_dm
    assert (o.triage.needs_reply, o.triage.needs_reply_reason) == (False, "brand's own tweet")
    assert (b.triage.topic, b.triage.queue) == (Topic.BILLING, "jp-billing")
    assert e.event_id != en.event_id
    assert e.model_version == "rules-1"

    assert len(dead) == 1, log[-3000:]
    letter = DEAD_LETTERS.decode(dead[0])
    assert letter.reason_code == DeadLetterReason.UNDECODABLE
    assert letter.source_topic == raw

    assert f'tweetcare_dead_letters_total{{reason="undecodable",topic="{raw}"}} 1.0' in metrics
    assert 'tweetcare_triage_tweets_total{lang="ja",priority=' in metrics
    assert 'queue="jp-billing",topic="billing"} 1.0' in metrics
    assert 'tweetcare_triage_config_reloads_total{result="applied"} 1.0' in metrics
    assert 'tweetcare_triage_model_info{version="rules-1"} 1.0' in metrics
    assert '"msg":"configuration reloaded"' in log
