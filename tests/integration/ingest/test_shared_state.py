"""The state ingest's replicas share, on the real broker: the outbox ledger and the X cursors on
compacted topics, and the duplicate window read back from ``tweets.raw``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaProducer

from services.ingest.compacted import CompactedTopic, SharedStateError
from services.ingest.recall import recent_events
from services.ingest.xapi.cursor_topic import TopicCursors
from services.ingest.xapi.cursors import Cursor, CursorStore
from services.ingest.xapi.ledger_topic import TopicLedger
from services.ingest.xapi.outbox import LedgerEntry, ReplyLedger
from services.plumbing.settings import REPO_ROOT

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]

EXAMPLES = REPO_ROOT / "schemas" / "tweets.raw" / "examples"


def _entry(reply_id: str, state: str) -> LedgerEntry:
    return LedgerEntry(reply_id, "c-1", "acme:4242", state, "2026-11-22T06:00:00.000Z")  # type: ignore[arg-type]


def test_what_one_replica_writes_to_the_ledger_the_other_sees_before_deciding(
    kafka_bootstrap: str, fresh_topics: Callable[..., list[str]]
) -> None:
    (topic,) = fresh_topics("ledger")
    one = CompactedTopic(kafka_bootstrap, topic, client_id="one")
    other = CompactedTopic(kafka_bootstrap, topic, client_id="other")
    try:
        mine, theirs = TopicLedger(one), TopicLedger(other)  # both read the empty topic
        assert theirs.latest("r-1") is None
        mine.append(_entry("r-1", "attempting"))
        mine.append(_entry("r-2", "attempting"))
        mine.append(_entry("r-2", "posted"))

        assert theirs.latest("r-1") == _entry("r-1", "attempting")
        assert theirs.latest("r-2") == _entry("r-2", "posted")
        assert theirs.unresolved() == []  # another replica may still be posting it
        restarted = TopicLedger(CompactedTopic(kafka_bootstrap, topic, client_id="again"))
        assert restarted.latest("r-2") == _entry("r-2", "posted")
    finally:
        one.close()
        other.close()


def test_the_file_ledger_of_an_earlier_version_is_adopted_without_overwriting(
    kafka_bootstrap: str, fresh_topics: Callable[..., list[str]], tmp_path: Path
) -> None:
    (topic,) = fresh_topics("ledger")
    shared = CompactedTopic(kafka_bootstrap, topic, client_id="t")
    try:
        ledger = TopicLedger(shared)
        ledger.append(_entry("r-2", "failed"))  # known on Kafka already: Kafka's is newer
        file = ReplyLedger(tmp_path / "outbox_ledger.jsonl")
        file.append(_entry("r-1", "posted"))
        file.append(_entry("r-2", "attempting"))

        adopted = ledger.adopt(file.entries())

        other = TopicLedger(CompactedTopic(kafka_bootstrap, topic, client_id="other"))
        assert adopted == 1
        assert other.latest("r-1") == _entry("r-1", "posted")
        assert other.latest("r-2") == _entry("r-2", "failed")
    finally:
        shared.close()


def test_the_next_lease_holder_reads_the_cursors_back_and_an_ended_term_writes_none(
    kafka_bootstrap: str, fresh_topics: Callable[..., list[str]]
) -> None:
    (topic,) = fresh_topics("cursors")
    shared = CompactedTopic(kafka_bootstrap, topic, client_id="leader")
    try:
        term = TopicCursors(shared)
        term.put("mentions:acmehelp", Cursor(since_id="100"))
        term.put("mentions:acmehelp", Cursor(since_id="120", newest_id="150", until_id="130"))
        term.end()
        with pytest.raises(SharedStateError):
            term.put("mentions:acmehelp", Cursor(since_id="999"))

        following = TopicCursors(CompactedTopic(kafka_bootstrap, topic, client_id="next"))
        assert following.get("mentions:acmehelp") == Cursor("120", "150", "130")
        assert following.get("dm:acmehelp") == Cursor()
        following.put("dm:acmehelp", Cursor(since_id="7"))
        # The first replica's next terms, on the same reader, which has read it all before.
        for _term in range(2):
            again = TopicCursors(shared)
            assert again.get("mentions:acmehelp") == Cursor("120", "150", "130")
            assert again.get("dm:acmehelp") == Cursor(since_id="7")
    finally:
        shared.close()


def test_the_cursor_file_of_an_earlier_version_is_adopted_without_overwriting(
    kafka_bootstrap: str, fresh_topics: Callable[..., list[str]], tmp_path: Path
) -> None:
    (topic,) = fresh_topics("cursors")
    shared = CompactedTopic(kafka_bootstrap, topic, client_id="t")
    try:
        TopicCursors(shared).put("dm:acmehelp", Cursor(since_id="900"))
        file = CursorStore(tmp_path / "x_cursors.json")
        file.put("mentions:acmehelp", Cursor(since_id="120"))
        file.put("dm:acmehelp", Cursor(since_id="800"))

        adopted = TopicCursors(shared).adopt(CursorStore(tmp_path / "x_cursors.json").items())

        read_back = TopicCursors(CompactedTopic(kafka_bootstrap, topic, client_id="other"))
        assert adopted == 1
        assert read_back.get("mentions:acmehelp") == Cursor(since_id="120")
        assert read_back.get("dm:acmehelp") == Cursor(since_id="900")
    finally:
        shared.close()


def test_a_missing_shared_topic_is_named(kafka_bootstrap: str) -> None:
    with pytest.raises(SharedStateError, match=r"test\.absent\.topic does not exist"):
        CompactedTopic(kafka_bootstrap, "test.absent.topic", client_id="t")


def test_the_window_is_read_back_from_the_recent_tweets_only(
    kafka_bootstrap: str, fresh_topics: Callable[..., list[str]]
) -> None:
    (topic,) = fresh_topics("tweets", partitions=2)
    example = json.loads(sorted(EXAMPLES.glob("*.json"))[0].read_text(encoding="utf-8"))
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    old = datetime.now(UTC) - timedelta(hours=2)
    producer.send(topic, json.dumps({**example, "tweet_id": "1"}).encode(), key=b"a",
                  timestamp_ms=int(old.timestamp() * 1000))  # fmt: skip
    producer.send(topic, json.dumps({**example, "tweet_id": "2"}).encode(), key=b"b")
    producer.send(topic, b"{not an event", key=b"c")
    producer.flush()
    producer.close()

    recent = recent_events(
        kafka_bootstrap, topic, now=datetime.now(UTC), lookback=timedelta(minutes=15)
    )

    assert [e.tweet_id for e in recent] == ["2"]
