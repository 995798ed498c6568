"""Two `tweetcare ingest run` replicas against the fake X on the real broker; the one reading X is
killed (SIGKILL) while its call posting a reply is in flight.

The other takes the lease and reads X on from the shared cursors (its first mentions poll asks for
what came after the last tweet the killed one published), its duplicate window rebuilt from
``tweets.raw`` (a tweet the killed one had from the stream, polled again now, is held back), so
every customer tweet is in ``tweets.raw`` exactly once. It takes over the killed one's
``outbox.replies`` partitions too: the reply whose post was cut short is found ``attempting`` in
the shared ledger and reported ``outcome_unknown`` — X got it once, never twice — and the next
reply of that partition is posted by the survivor.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from services.plumbing.contracts.codecs import OUTBOX_REPLIES, OUTBOX_RESULTS, TWEETS_RAW
from services.plumbing.contracts.outbox import OutboxResult
from services.plumbing.contracts.tweets import TweetEvent
from tests.integration.ingest.replies import public_reply
from tests.integration.scrape import consumer_samples, lag_samples
from tests.integration.workers import consume, free_port, worker
from tests.xapi.server import APP_TOKEN, FakeX

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(240)]

MENTIONS = "GET /2/users/:id/mentions"
POST = "POST /2/tweets"


def _scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
            return str(answer.read().decode())
    except OSError:
        return ""


def _lease_held(port: int) -> float | None:
    for line in _scrape(port).splitlines():
        if line.startswith("tweetcare_ingest_lease_held "):
            return float(line.rsplit(" ", 1)[1])
    return None


def _settled(ports: list[int], lease_group: str, replies: str) -> bool:
    """Both replicas in both groups: one holds the lease, the outbox partitions are shared."""
    pages = [_scrape(p) for p in ports]
    joined = all(consumer_samples(page, lease_group).get("rebalances_total", 0) >= 1
                 for page in pages)  # fmt: skip
    held = sorted(_lease_held(p) or 0 for p in ports)
    owned = [{p for (_, t, p) in lag_samples(page) if t == replies} for page in pages]
    shared = all(owned) and not owned[0] & owned[1] and owned[0] | owned[1] == set(range(4))
    return joined and held == [0, 1] and shared


def _asked_since(fake: FakeX, tweet_id: str) -> bool:
    with fake.lock:
        return any(e == MENTIONS and q.get("since_id") == tweet_id for e, q in fake.requests)


def _until(done: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _tweets(bootstrap: str, topic: str) -> list[TweetEvent]:
    return [TWEETS_RAW.decode(v) for v in consume(bootstrap, topic, 10_000, 5)]


def _results(bootstrap: str, topic: str) -> list[OutboxResult]:
    return [OUTBOX_RESULTS.decode(v) for v in consume(bootstrap, topic, 10_000, 5)]


@dataclass(frozen=True)
class Topics:
    tweets: str
    replies: str
    results: str
    lease: str
    cursors: str
    ledger: str


@pytest.fixture
def topics(kafka_bootstrap: str, fresh_topics: Callable[..., list[str]]) -> Iterator[Topics]:
    """The test's own topics (and the two dead-letter topics ingest writes to)."""
    made = Topics(*fresh_topics("tweets", "replies", "results", "lease", "cursors", "ledger"))
    dead = [f"{made.replies}.dlq", f"{made.tweets}.dlq"]
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(t, 1, 1) for t in dead])
    yield made
    admin.delete_topics(dead)
    admin.close()


def _env(bootstrap: str, fake: FakeX, topics: Topics) -> dict[str, str]:
    """What every replica is given: the fake X, one brand, the test's topics and groups."""
    return {
        "TWEETCARE_KAFKA_BOOTSTRAP": bootstrap,
        "TWEETCARE_INGEST_TWEETS_TOPIC": topics.tweets,
        "TWEETCARE_INGEST_REPLIES_TOPIC": topics.replies,
        "TWEETCARE_INGEST_RESULTS_TOPIC": topics.results,
        "TWEETCARE_INGEST_LEASE_TOPIC": topics.lease,
        "TWEETCARE_INGEST_LEASE_GROUP": f"lease-{topics.lease}",
        "TWEETCARE_INGEST_OUTBOX_GROUP": f"outbox-{topics.replies}",
        "TWEETCARE_INGEST_CURSORS_TOPIC": topics.cursors,
        "TWEETCARE_INGEST_LEDGER_TOPIC": topics.ledger,
        "TWEETCARE_INGEST_SESSION_TIMEOUT_MS": "6000",
        "TWEETCARE_INGEST_BRANDS": '["AcmeHelp=acme"]',
        "TWEETCARE_X_API_BASE_URL": fake.base_url,
        "X_BEARER_TOKEN": APP_TOKEN,
        "TWEETCARE_X_USER_TOKENS": json.dumps({"AcmeHelp": fake.token_of("AcmeHelp")}),
        "TWEETCARE_X_POLL_INTERVAL_S": "0.5",
    }


def test_the_survivor_reads_x_on_from_the_shared_cursor_and_never_posts_a_reply_twice(
    fake: FakeX, topics: Topics, kafka_bootstrap: str, tmp_path: Path
) -> None:
    tweets, replies, results, lease = topics.tweets, topics.replies, topics.results, topics.lease
    ports = [free_port(), free_port()]
    base = _env(kafka_bootstrap, fake, topics)
    first = [fake.add_tweet("mika_t", f"@AcmeHelp 荷物がまだです {n}") for n in range(3)]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    try:
        with ExitStack() as stack:
            procs: list[subprocess.Popen[bytes]] = []
            for n, port in enumerate(ports):
                env = {**base, "TWEETCARE_INGEST_METRICS_PORT": str(port),
                       "TWEETCARE_X_STATE_DIR": str(tmp_path / f"state-{n}")}  # fmt: skip
                log = tmp_path / f"ingest-{n}.log"
                procs.append(
                    stack.enter_context(worker(["services.cli", "ingest", "run"], env, log))
                )
            settled = lambda: _settled(ports, f"lease-{lease}", replies)  # noqa: E731
            _until(settled, "both replicas in both groups")
            leader = next(n for n, p in enumerate(ports) if _lease_held(p) == 1)
            survivor = 1 - leader
            customer_ids = lambda: {e.tweet_id for e in _tweets(kafka_bootstrap, tweets)}  # noqa: E731
            _until(lambda: {t["id"] for t in first} <= customer_ids(), "the first tweets")

            # Polled by the leader after the lease settled: its cursor is past these.
            polled = [fake.add_tweet("mika_t", f"@AcmeHelp 届いていません {n}") for n in range(2)]
            _until(lambda: _asked_since(fake, polled[-1]["id"]), "the leader's cursor to move")

            # The mentions timeline fails: the next tweets reach the leader by the stream only.
            fake.fail(MENTIONS, 503, times=1_000_000)
            streamed = [fake.add_tweet("mika_t", f"@AcmeHelp 返品したい {n}") for n in range(2)]
            _until(lambda: {t["id"] for t in streamed} <= customer_ids(), "the streamed tweets")

            # A reply on a partition of the leader's: X carries the post out, the answer waits.
            owned = [p for (g, t, p) in lag_samples(_scrape(ports[leader])) if t == replies]
            assert owned, "the leader owns outbox partitions"
            answer = fake.hold(POST)
            cut = public_reply("r-cut", first[0])
            producer.send(replies, OUTBOX_REPLIES.encode(cut), key=b"acme:x", partition=owned[0])
            producer.flush()
            _until(lambda: len(fake.posted) == 1, "the post in flight")

            procs[leader].kill()
            procs[leader].wait()
            killed_at = len(fake.requests)
            fake.clear_failures(MENTIONS)
            answer.set()
            later = [fake.add_tweet("mika_t", f"@AcmeHelp まだ届きません {n}") for n in range(2)]
            _until(lambda: _lease_held(ports[survivor]) == 1, "the survivor to take the lease")
            _until(lambda: {t["id"] for t in later} <= customer_ids(), "the later tweets")
            after = public_reply("r-after", first[1])
            producer.send(replies, OUTBOX_REPLIES.encode(after), key=b"acme:x", partition=owned[0])
            producer.flush()
            _until(
                lambda: (
                    {r.reply_id for r in _results(kafka_bootstrap, results)} >= {"r-cut", "r-after"}
                ),
                "both replies' results",
            )
            published = _tweets(kafka_bootstrap, tweets)
            outcomes = _results(kafka_bootstrap, results)
            requests = list(fake.requests[killed_at:])
    finally:
        producer.close()

    customers = [e for e in published if e.direction.value == "inbound"]
    expected = sorted(t["id"] for t in first + polled + streamed + later)
    assert sorted(e.tweet_id for e in customers) == expected  # none missed, none twice
    resumed = next(params for endpoint, params in requests if endpoint == MENTIONS)
    assert resumed.get("since_id") == polled[-1]["id"]  # the killed leader's cursor

    posts = [t["text"] for t in fake.posted]
    assert sum("(r-cut)" in text for text in posts) == 1  # X got it once, never twice
    assert sum("(r-after)" in text for text in posts) == 1
    by_reply = {r.reply_id: r for r in outcomes}
    assert (by_reply["r-cut"].status, by_reply["r-cut"].error_code) == (
        "failed",
        "outcome_unknown",
    )
    assert by_reply["r-after"].status == "posted"
    assert len({r.event_id for r in outcomes if r.reply_id == "r-cut"}) == 1


def test_a_replica_joining_while_a_post_is_in_flight_waits_for_it(
    fake: FakeX, topics: Topics, kafka_bootstrap: str, tmp_path: Path
) -> None:
    replies, results = topics.replies, topics.results
    base = _env(kafka_bootstrap, fake, topics)
    customer = fake.add_tweet("mika_t", "@AcmeHelp 荷物がまだです")
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    ports = [free_port(), free_port()]
    logs = [tmp_path / "ingest-0.log", tmp_path / "ingest-1.log"]
    envs = [
        {
            **base,
            "TWEETCARE_INGEST_METRICS_PORT": str(port),
            "TWEETCARE_X_STATE_DIR": str(tmp_path / f"state-{n}"),
        }
        for n, port in enumerate(ports)
    ]
    try:
        with ExitStack() as stack:
            stack.enter_context(worker(["services.cli", "ingest", "run"], envs[0], logs[0]))
            owns = lambda n: {p for (_, t, p) in lag_samples(_scrape(ports[n])) if t == replies}  # noqa: E731
            _until(lambda: owns(0) == set(range(4)), "the first replica to own the outbox")
            answer = fake.hold(POST)
            reply = public_reply("r-join", customer)
            producer.send(replies, OUTBOX_REPLIES.encode(reply), key=b"acme:x", partition=0)
            producer.flush()
            _until(lambda: len(fake.posted) == 1, "the post in flight")

            stack.enter_context(worker(["services.cli", "ingest", "run"], envs[1], logs[1]))
            rebalancing = f"Heartbeat failed for group outbox-{replies} because it is rebalancing"
            _until(lambda: rebalancing in logs[0].read_text(), "the first replica to rebalance")
            # Long enough for the joining replica to be given the partition and handle the reply,
            # were the partitions given up before the batch in hand was done.
            time.sleep(5)
            answer.set()
            _until(lambda: owns(0) and owns(1), "the outbox to be shared")
            _until(lambda: _results(kafka_bootstrap, results), "the reply's result")
            time.sleep(2)  # a second result, were there one, would be in by now
            outcomes = _results(kafka_bootstrap, results)
    finally:
        producer.close()

    assert [(r.reply_id, r.status) for r in outcomes] == [("r-join", "posted")]
    assert [reply.text in t["text"] for t in fake.posted] == [True]  # posted once
