"""The pure batch step of the triage service: order, dead letters, deterministic ids, redaction."""

from __future__ import annotations

from datetime import UTC, datetime

from services.plumbing.contracts.codecs import DEAD_LETTERS, TWEETS_RAW, TWEETS_TRIAGED
from services.plumbing.contracts.deadletter import DeadLetterReason
from services.plumbing.metrics import exposition, new_registry
from services.plumbing.records import Record
from services.triage.batch import triage_messages
from services.triage.config import TriageConfig
from services.triage.metrics import TriageMetrics
from tests.factories.tweets import tweet_event

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _messages() -> list[Record]:
    good = [
        tweet_event("1861000000000000201", "@acme_jp order #AB12345 never arrived, not happy"),
        tweet_event("1861000000000000202", "@acme_jp ありがとう、助かりました！"),
    ]
    return [
        Record("tweets.raw", 0, 0, b"acme:4001", TWEETS_RAW.encode(good[0])),
        Record("tweets.raw", 0, 1, b"acme:4001", b'{"version": 2}'),
        Record("tweets.raw", 0, 2, b"acme:4001", TWEETS_RAW.encode(good[1])),
        Record("tweets.raw", 0, 3, None, None),
    ]


def test_batch_keeps_order_dead_letters_bad_messages_and_counts() -> None:
    registry = new_registry()
    out = triage_messages(_messages(), TriageConfig(), None, TriageMetrics(registry), NOW)
    assert [o.dead for o in out] == [False, True, False, True]
    assert DEAD_LETTERS.decode(out[1].value).reason_code == DeadLetterReason.UNKNOWN_VERSION
    assert DEAD_LETTERS.decode(out[3].value).reason_code == DeadLetterReason.UNDECODABLE
    first = TWEETS_TRIAGED.decode(out[0].value)
    assert out[0].key == b"acme:4001"
    assert first.triage.complaint
    assert first.tweet.text.startswith("@acme_jp order #AB12345")  # kept by default
    text = exposition(registry).decode()
    assert 'tweetcare_dead_letters_total{reason="undecodable",topic="tweets.raw"} 1.0' in text
    assert "tweetcare_triage_tweets_total{" in text


def test_the_same_input_gives_the_same_event_ids() -> None:
    messages = _messages()
    ids = [
        [TWEETS_TRIAGED.decode(o.value).event_id for o in out if not o.dead]
        for out in (
            triage_messages(messages, TriageConfig(), None, TriageMetrics(new_registry()), NOW)
            for _ in range(2)
        )
    ]
    assert ids[0] == ids[1]
    assert len(set(ids[0])) == 2


def test_configuration_can_keep_only_the_redacted_text() -> None:
    config = TriageConfig(keep_original_text=False)
    out = triage_messages(_messages(), config, None, TriageMetrics(new_registry()), NOW)
    first = TWEETS_TRIAGED.decode(out[0].value)
    assert first.original_text_kept is False
    assert "AB12345" not in first.tweet.text
    assert "[order_number]" in first.tweet.text
