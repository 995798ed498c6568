"""What one token may use, decided by pure code: the rate (a token bucket on the clock it is
given), exports at once, the periods of a statistics window; and cursors that are signed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from services.api.errors import BadQueryError, InvalidCursorError, TooManyRequestsError
from services.api.limits import Bucket, ExportSlots, RateLimiter, take
from services.api.readmodel.querying import decode_cursor, encode_cursor
from services.api.stats.service import MAX_PERIODS, Interval, check_periods, periods

KEY = b"k" * 32


def test_a_bucket_lets_a_burst_through_then_one_request_per_refill() -> None:
    bucket, waits = None, []
    for _ in range(4):
        bucket, wait = take(bucket, 100.0, rate=2.0, burst=3.0)
        waits.append(wait)
    assert waits == [0.0, 0.0, 0.0, 0.5]
    assert take(bucket, 100.5, rate=2.0, burst=3.0)[1] == 0.0
    assert take(Bucket(0.0, 100.0), 1_000.0, rate=2.0, burst=3.0)[0] == Bucket(2.0, 1_000.0)


def test_the_limiter_refuses_a_token_over_its_rate_and_not_the_others() -> None:
    limiter = RateLimiter(rate=1.0, burst=2)
    limiter.check("a", 0.0)
    limiter.check("a", 0.0)
    with pytest.raises(TooManyRequestsError) as refused:
        limiter.check("a", 0.25)
    assert (refused.value.code, refused.value.retry_after_s) == ("rate_limited", 0.75)
    limiter.check("b", 0.25)
    limiter.check("a", 1.0)


def test_export_slots_are_per_token_and_given_back_once() -> None:
    slots = ExportSlots(per_key=2)
    first, _ = slots.acquire("a"), slots.acquire("a")
    with pytest.raises(TooManyRequestsError) as refused:
        slots.acquire("a")
    assert refused.value.code == "too_many_exports"
    slots.acquire("b")
    first.release()
    first.release()  # again: a no-op
    assert slots.held("a") == 1
    slots.acquire("a")


T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "interval", "most"),
    [
        (timedelta(days=7), None, 1),
        (timedelta(days=7), "hour", 170),
        (timedelta(days=7), "day", 9),
        (timedelta(days=366), "month", 15),
    ],
)
def test_periods_in_a_window_are_bounded_from_above(
    span: timedelta, interval: Interval | None, most: int
) -> None:
    assert periods(T0, T0 + span, interval) == most


def test_a_window_of_too_many_periods_is_refused_before_elasticsearch() -> None:
    check_periods(T0, T0 + timedelta(hours=MAX_PERIODS - 2), "hour")
    with pytest.raises(BadQueryError) as refused:
        check_periods(T0, T0 + timedelta(days=365), "hour")
    assert refused.value.code == "too_many_buckets"


def _unsigned(scope: str, values: list[object]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"s": scope, "a": values})).decode()


def test_a_cursor_reads_back_only_unaltered_with_its_key_and_scope() -> None:
    cursor = encode_cursor("queue:care", [1, "c-1"], key=KEY)
    assert decode_cursor(cursor, "queue:care", key=KEY) == [1, "c-1"]
    mac = cursor.split(".")[1]
    altered = encode_cursor("queue:care", [2, "c-1"], key=KEY).split(".")[0] + "." + mac
    for bad, scope in (
        (cursor, "queue:vip"),
        (encode_cursor("queue:care", [1, "c-1"], key=b"x" * 32), "queue:care"),
        (altered, "queue:care"),
        (_unsigned("queue:care", [{"x": 1}]), "queue:care"),  # the old, unsigned shape
        ("not a cursor", "queue:care"),
        ("%%%.%%%", "queue:care"),
        (cursor + "A" * 3000, "queue:care"),
    ):
        with pytest.raises(InvalidCursorError):
            decode_cursor(bad, scope, key=KEY)
