"""`tweetcare ingest run` without X credentials, on the real broker: the generated stream comes
in once per tweet, and the sandbox outbox posts each reply once — a DM case by DM — with its
result and the brand's outbound tweet published, across a restart."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from services.plumbing.contracts.actions import Actor, Role
from services.plumbing.contracts.codecs import (
    DEAD_LETTERS,
    OUTBOX_REPLIES,
    OUTBOX_RESULTS,
    TWEETS_RAW,
)
from services.plumbing.contracts.common import Channel
from services.plumbing.contracts.outbox import OutboxReply
from tests.integration.scrape import page, wait_for_lag
from tests.integration.workers import consume, free_port, worker

pytestmark = pytest.mark.kafka

AGENT = Actor(id="a1", name="Aiko", role=Role.AGENT)


def _reply(reply_id: str, channel: Channel) -> OutboxReply:
    dm = channel == Channel.DM
    return OutboxReply(
        event_id=f"e-{reply_id}", reply_id=reply_id, case_id=f"c-{reply_id}",
        case_key="acme:4242", brand="acme", handle="AcmeHelp", channel=channel,
        in_reply_to_tweet_id=None if dm else "1860000000000000001",
        dm_recipient_id="4242" if dm else None,
        dm_conversation_id="4242-3019280001" if dm else None,
        text="Sorry about that — we are on it.", requested_by=AGENT,
        requested_at=datetime.now(UTC),
    )  # fmt: skip


def _wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout_s}s")


def _metric(url: str, line_start: str) -> float:
    with urllib.request.urlopen(url, timeout=5) as answer:
        text = answer.read().decode()
    values = [float(x.rsplit(" ", 1)[1]) for x in text.splitlines() if x.startswith(line_start)]
    return sum(values)


def test_generated_stream_and_sandbox_outbox(
    fresh_topics: Callable[..., list[str]], kafka_bootstrap: str, tmp_path: Path
) -> None:
    tweets, replies, results, lease, cursors, ledger = fresh_topics(
        "tweets", "replies", "results", "lease", "cursors", "ledger"
    )
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(f"{replies}.dlq", 1, 1), NewTopic(f"{tweets}.dlq", 1, 1)])
    port = free_port()
    env = {
        "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TWEETCARE_INGEST_TWEETS_TOPIC": tweets,
        "TWEETCARE_INGEST_REPLIES_TOPIC": replies,
        "TWEETCARE_INGEST_RESULTS_TOPIC": results,
        "TWEETCARE_INGEST_LEASE_TOPIC": lease,
        "TWEETCARE_INGEST_LEASE_GROUP": f"lease-{lease}",
        "TWEETCARE_INGEST_CURSORS_TOPIC": cursors,
        "TWEETCARE_INGEST_LEDGER_TOPIC": ledger,
        "TWEETCARE_INGEST_METRICS_PORT": str(port),
        "TWEETCARE_INGEST_GENERATE_PER_MINUTE": "600",
        "TWEETCARE_INGEST_GENERATE_SEED": "11",
        "TWEETCARE_X_STATE_DIR": str(tmp_path / "state"),
    }
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    public, dm = _reply("r-public", Channel.PUBLIC), _reply("r-dm", Channel.DM)

    def send(*records: bytes) -> None:
        for value in records:
            producer.send(replies, value=value, key=b"acme:4242")
        producer.flush()

    try:
        with worker(["services.cli", "ingest", "run"], env, tmp_path / "ingest-1.log") as proc:
            _wait_http(f"http://127.0.0.1:{port}/healthz")
            send(OUTBOX_REPLIES.encode(public), OUTBOX_REPLIES.encode(dm), b"{not json",
                 OUTBOX_REPLIES.encode(public))  # fmt: skip
            first = [
                OUTBOX_RESULTS.decode(v) for v in consume(kafka_bootstrap, results, 3, 30, proc)
            ]
            dead = [
                DEAD_LETTERS.decode(v) for v in consume(kafka_bootstrap, f"{replies}.dlq", 1, 10)
            ]
            generated = [
                TWEETS_RAW.decode(v) for v in consume(kafka_bootstrap, tweets, 40, 30, proc)
            ]
            posted = _metric(
                f"http://127.0.0.1:{port}/metrics",
                'tweetcare_ingest_outbox_replies_total{status="posted"}',
            )
            caught_up = {("tweetcare-ingest-outbox", replies, p): 0.0 for p in range(4)}
            outbox_lag = wait_for_lag(page(f"http://127.0.0.1:{port}/metrics"), caught_up)
        with worker(
            ["services.cli", "ingest", "run", "--no-generate"], env, tmp_path / "ingest-2.log"
        ) as proc:
            _wait_http(f"http://127.0.0.1:{port}/healthz")
            send(OUTBOX_REPLIES.encode(public))
            again = [
                OUTBOX_RESULTS.decode(v) for v in consume(kafka_bootstrap, results, 4, 30, proc)
            ]
    finally:
        producer.close()
        admin.delete_topics([f"{replies}.dlq", f"{tweets}.dlq"])
        admin.close()

    assert [r.status for r in first] == ["posted", "posted", "posted"], first
    by_reply = {r.reply_id: r for r in first}
    assert set(by_reply) == {"r-public", "r-dm"}
    assert first[0].posted_tweet_id == first[2].posted_tweet_id  # the repeat: the same result
    assert first[0].event_id == first[2].event_id
    assert posted == 3
    assert outbox_lag == caught_up  # every partition of outbox.replies, all read
    assert len(dead) == 1
    assert dead[0].reason_code.value == "undecodable"

    inbound = [e for e in generated if e.source.value == "generated"]
    echoes = [e for e in generated if e.source.value == "x_own"]
    assert len(inbound) >= 20
    assert len({e.tweet_id for e in generated}) == len(generated)  # each tweet once
    assert all(e.retweet_of_id is None for e in generated)  # retweets dropped by default
    assert sorted(e.tweet_id for e in echoes) == sorted(
        r.posted_tweet_id or "" for r in by_reply.values()
    )
    dm_echo = next(e for e in echoes if e.tweet_id == by_reply["r-dm"].posted_tweet_id)
    assert dm_echo.channel == Channel.DM
    assert dm_echo.direction.value == "outbound"
    assert dm_echo.case_key == "acme:4242"

    assert len(again) == 4
    assert again[3].posted_tweet_id == by_reply["r-public"].posted_tweet_id
    after = [TWEETS_RAW.decode(v) for v in consume(kafka_bootstrap, tweets, 10_000, 8)]
    assert sum(1 for e in after if e.tweet_id == by_reply["r-public"].posted_tweet_id) == 1
