"""`tweetcare ingest replay` through the real broker: every tweet once, on its case key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.plumbing.contracts.codecs import TWEETS_RAW
from services.plumbing.contracts.common import Direction
from tests.integration.topics import read_all

pytestmark = pytest.mark.kafka


def test_ibm_file_replay_publishes_each_tweet_once(
    kafka_bootstrap: str, fresh_topics: object, data_dir: Path
) -> None:
    (topic,) = fresh_topics("replay")  # type: ignore[operator]
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "ingest", "replay",
         str(data_dir / "ibm_conversations_dev.json"), "--format", "ibm", "--topic", topic],
        env={**os.environ, "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1,205 published" in done.stderr
    assert "6 duplicate" in done.stderr

    records = read_all(kafka_bootstrap, topic)
    events = [TWEETS_RAW.decode(r.value) for r in records]
    assert len(events) == len({e.tweet_id for e in events}) == 1205
    assert all(r.key.decode() == e.case_key for r, e in zip(records, events, strict=True))
    directions = {e.direction for e in events}
    assert directions == {Direction.INBOUND, Direction.OUTBOUND}


def test_unreachable_kafka_is_a_clear_error(data_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "ingest", "replay",
         str(data_dir / "twcs_sample.csv"), "--format", "twcs"],
        env={**os.environ, "TWEETCARE_KAFKA_BOOTSTRAP": "127.0.0.1:1"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Kafka is not reachable at 127.0.0.1:1" in done.stderr
    assert "Traceback" not in done.stderr
