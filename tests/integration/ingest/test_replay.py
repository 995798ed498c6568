"""`tweetcare ingest replay` through the real broker: every tweet once, on its case key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.plumbing.contracts.codecs import DEAD_LETTERS, TWEETS_RAW
from services.plumbing.contracts.common import Direction
from tests.fixtures import OURS, ReplayFiles
from tests.integration.topics import read_all

pytestmark = pytest.mark.kafka


def test_ibm_file_replay_publishes_each_tweet_once(
    kafka_bootstrap: str, fresh_topics: object, replay_files: ReplayFiles
) -> None:
    (topic,) = fresh_topics("replay")  # type: ignore[operator]
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "ingest", "replay",
         str(replay_files.ibm), "--format", "ibm", "--topic", topic],
        env={**os.environ, "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{replay_files.ibm_tweets:,} published" in done.stderr
    assert f"{replay_files.ibm_repeated} duplicate" in done.stderr

    records = read_all(kafka_bootstrap, topic)
    events = [TWEETS_RAW.decode(r.value) for r in records]
    assert len(events) == len({e.tweet_id for e in events}) == replay_files.ibm_tweets
    assert all(r.key.decode() == e.case_key for r, e in zip(records, events, strict=True))
    directions = {e.direction for e in events}
    assert directions == {Direction.INBOUND, Direction.OUTBOUND}


def test_unreachable_kafka_is_a_clear_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "ingest", "replay",
         str(OURS.twcs), "--format", "twcs"],
        env={**os.environ, "TWEETCARE_KAFKA_BOOTSTRAP": "127.0.0.1:1"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Kafka is not reachable at 127.0.0.1:1" in done.stderr
    assert "Traceback" not in done.stderr


def test_malformed_rows_go_to_the_dead_letter_topic_and_the_replay_goes_on(
    kafka_bootstrap: str, fresh_topics: object, tmp_path: Path
) -> None:
    (topic,) = fresh_topics("replay")  # type: ignore[operator]
    (dlq,) = [f"{topic}.dlq"]
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(dlq, 1, 1)])
    rows = [
        b"tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id",
        b'101,4000,True,Tue Nov 10 09:00:01 +0000 2026,"@AcmeHelp my parcel is late",,',
        b'102,,True,Tue Nov 10 09:00:02 +0000 2026,"@AcmeHelp no author here",,',
        b'103,4003,True,Tue Nov 10 09:00:03 +0000 2026,"@AcmeHelp broken \xff bytes",,',
        b'104,4004,True,Tue Nov 10 09:00:04 +0000 2026,"@AcmeHelp fine again",,',
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\n".join(rows) + b"\n")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", "ingest", "replay", str(path), "--format",
             "twcs", "--brand", "AcmeHelp=acme", "--topic", topic],
            env={**os.environ, "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert f"2 malformed rows or tweets rejected to {dlq}" in done.stderr
        published = [TWEETS_RAW.decode(r.value).tweet_id for r in read_all(kafka_bootstrap, topic)]
        letters = [DEAD_LETTERS.decode(r.value) for r in read_all(kafka_bootstrap, dlq)]
    finally:
        admin.delete_topics([dlq])
        admin.close()
    assert published == ["101", "104"]
    assert len(letters) == 2
    assert "author_id is missing" in letters[0].reason
    assert "not valid UTF-8" in letters[1].reason
    assert letters[1].payload_encoding == "base64"  # the original bytes, kept whole
