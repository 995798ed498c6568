"""`tweetcare ingest generate|replay --output jsonl`: the normalised events on stdout, no Kafka."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta

from services.plumbing.contracts.codecs import TWEETS_RAW
from tests.fixtures import ReplayFiles


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "ingest", *args, "--output", "jsonl"],
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_generate_jsonl_stops_after_the_duration_of_event_time() -> None:
    done = _run("generate", "--speed", "max", "--duration", "600", "--seed", "7")
    assert done.returncode == 0, done.stderr.decode()
    events = [TWEETS_RAW.decode(line) for line in done.stdout.splitlines()]
    assert len(events) > 50
    first = min(e.created_at for e in events)
    assert max(e.created_at for e in events) - first <= timedelta(seconds=600)
    japanese = [e for e in events if re.search("[\u3040-\u30ff]", e.text)]
    assert 0 < len(japanese) < len(events)
    assert b"written" in done.stderr


def test_generate_jsonl_is_reproducible_from_the_seed() -> None:
    runs = [_run("generate", "--speed", "max", "--count", "40", "--seed", "3") for _ in range(2)]
    texts = [[TWEETS_RAW.decode(line).text for line in r.stdout.splitlines()] for r in runs]
    assert len(texts[0]) == 40
    assert texts[0] == texts[1]


def test_replay_jsonl_writes_every_conversation_message_of_the_ibm_file(
    replay_files: ReplayFiles,
) -> None:
    done = _run("replay", str(replay_files.ibm), "--format", "ibm", "--speed", "max")
    assert done.returncode == 0, done.stderr.decode()
    events = [TWEETS_RAW.decode(line) for line in done.stdout.splitlines()]
    assert len(events) == replay_files.ibm_tweets
    assert len({e.tweet_id for e in events}) == len(events)
    assert all(isinstance(e.created_at, datetime) for e in events)
