"""The cost meter: prices by usage and endpoint, the monthly read budget, the pause signal."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.ingest.xapi.cost import Budget, CostMeter, Prices, Usage, month_of

NOV = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DEC = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
SEARCH = "GET /2/tweets/search/recent"
MENTIONS = "GET /2/users/:id/mentions"


def _meter(budget: str = "1.00", fraction: str = "0.9") -> CostMeter:
    return CostMeter(Prices(), Budget(Decimal(budget), Decimal(fraction)))


def test_spend_prices_each_usage() -> None:
    meter = _meter()
    meter.record(SEARCH, Usage.POST_READ, 100, now=NOV)
    meter.record(SEARCH, Usage.USER_READ, 10, now=NOV)
    meter.record("GET /2/dm_events", Usage.DM_EVENT_READ, 3, now=NOV)
    meter.record("POST /2/tweets", Usage.POST_CREATE, 2, now=NOV)
    meter.record("POST /2/dm_conversations/with/:id/messages", Usage.DM_CREATE, 1, now=NOV)
    assert meter.spend(NOV, reads_only=True) == Decimal("0.630")
    assert meter.spend(NOV) == Decimal("0.675")
    assert meter.counts[(SEARCH, Usage.POST_READ)] == 100


def test_counts_stay_apart_by_endpoint() -> None:
    meter = _meter()
    meter.record(SEARCH, Usage.POST_READ, 4, now=NOV)
    meter.record(MENTIONS, Usage.POST_READ, 6, now=NOV)
    meter.record(MENTIONS, Usage.POST_READ, 0, now=NOV)
    assert dict(meter.counts) == {(SEARCH, Usage.POST_READ): 4, (MENTIONS, Usage.POST_READ): 6}


@pytest.mark.parametrize(("posts", "paused"), [(0, False), (179, False), (180, True), (400, True)])
def test_optional_polling_pauses_at_the_fraction_of_the_read_budget(
    posts: int, paused: bool
) -> None:
    meter = _meter("1.00", "0.9")  # 0.90 USD = 180 post reads at 0.005
    meter.record(SEARCH, Usage.POST_READ, posts, now=NOV)
    assert meter.pause_optional_polling(NOV) is paused


def test_writes_do_not_eat_the_read_budget() -> None:
    meter = _meter("1.00")
    meter.record("POST /2/tweets", Usage.POST_CREATE, 1000, now=NOV)
    assert meter.pause_optional_polling(NOV) is False
    assert meter.spend(NOV) == Decimal("15.000")


def test_a_new_month_starts_from_zero() -> None:
    meter = _meter("1.00")
    meter.record(SEARCH, Usage.POST_READ, 500, now=NOV)
    assert meter.pause_optional_polling(NOV) is True
    assert meter.pause_optional_polling(DEC) is False
    assert meter.spend(DEC) == Decimal(0)
    assert meter.month == month_of(DEC) == "2026-12"


def test_configured_prices_are_used() -> None:
    meter = CostMeter(Prices(post_read=Decimal("0.01")), Budget(Decimal("10")))
    meter.record(SEARCH, Usage.POST_READ, 7, now=NOV)
    assert meter.spend(NOV) == Decimal("0.07")


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="pause_fraction"):
        Budget(Decimal("1"), Decimal("1.5"))
    with pytest.raises(ValueError, match="count"):
        _meter().record(SEARCH, Usage.POST_READ, -1, now=NOV)
