"""Record and Clock, the two types every service shares, and the dead letters built from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.structs import ConsumerRecord

from services.plumbing.clock import SYSTEM_CLOCK, FakeClock
from services.plumbing.contracts.codecs import TWEETS_RAW
from services.plumbing.contracts.deadletter import DeadLetter, DeadLetterReason
from services.plumbing.deadletters import dead_letter_of, decode
from services.plumbing.records import Record
from tests.factories.tweets import tweet_event

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_a_record_is_taken_from_a_client_record_field_by_field() -> None:
    consumed = ConsumerRecord(
        topic="tweets.raw", partition=3, offset=41, timestamp=0, timestamp_type=0, key=b"k",
        value=b"v", checksum=None, serialized_key_size=1, serialized_value_size=1, headers=(),
    )  # fmt: skip
    assert Record.of(consumed) == Record("tweets.raw", 3, 41, b"k", b"v")


def test_decode_gives_the_event_or_a_dead_letter_that_points_at_the_record() -> None:
    event = tweet_event("1001", "@acme_jp where is my parcel")
    good = Record("tweets.raw", 0, 7, b"acme:4001", TWEETS_RAW.encode(event))
    assert decode(TWEETS_RAW, good, consumer="test", now=T0) == event

    bad = Record("tweets.raw.copy", 2, 9, b"acme:4001", b"\xffnot json")
    letter = decode(TWEETS_RAW, bad, consumer="test", now=T0)
    assert isinstance(letter, DeadLetter)
    assert (letter.source_topic, letter.partition, letter.offset) == ("tweets.raw.copy", 2, 9)
    assert (letter.key, letter.payload_encoding) == ("acme:4001", "base64")
    assert (letter.reason_code, letter.consumer, letter.failed_at) == (
        DeadLetterReason.UNDECODABLE, "test", T0,
    )  # fmt: skip


def test_any_failure_on_a_record_is_a_processing_error_dead_letter() -> None:
    record = Record("tweets.triaged", 1, 5, None, b"{}")
    letter = dead_letter_of(RuntimeError("mapping refused"), record, consumer="api", now=T0)
    assert letter.reason_code == DeadLetterReason.PROCESSING_ERROR
    assert letter.reason == "RuntimeError: mapping refused"
    assert (letter.key, letter.payload) == (None, "{}")


def test_a_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(T0, monotonic=100.0)
    assert (clock.now(), clock.monotonic()) == (T0, 100.0)
    clock.advance(timedelta(seconds=90))
    clock.advance(0.5)
    assert (clock.now(), clock.monotonic()) == (T0 + timedelta(seconds=90.5), 190.5)
    clock.set(T0)  # the wall time may be set back; the monotonic time stays
    assert (clock.now(), clock.monotonic()) == (T0, 190.5)
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2026, 1, 1))  # naive: the point of the test


def test_the_system_clock_is_utc_and_monotonic() -> None:
    first, now = SYSTEM_CLOCK.monotonic(), SYSTEM_CLOCK.now()
    assert now.tzinfo is UTC
    assert SYSTEM_CLOCK.monotonic() >= first
