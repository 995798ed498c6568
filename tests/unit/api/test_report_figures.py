"""The report's figures from one aggregation bucket (support rate, resolution rate, first
response p50/p90, SLA attainment), the report's CSV, and what a saved search's sharing accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.api.search.saved import SavedSearchIn
from services.api.stats.service import case_row, case_stats_csv


def bucket(
    cases: int, needs: int, replied: int, resolved: int, met: int, breached: int,
    p50: float | None = None, p90: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    def count(n: int) -> dict[str, int]:
        return {"doc_count": n}

    return {
        "doc_count": cases, "needs_reply": count(needs), "replied": count(replied),
        "resolved": count(resolved), "sla_met": count(met), "sla_breached": count(breached),
        "first_response": {"values": {"50.0": p50, "90.0": p90}},
    }  # fmt: skip


# (bucket, support rate, resolution rate, SLA attainment, p50, p90), computed by hand
FIGURES = [
    (bucket(4, 3, 2, 1, 2, 1, 90.0, 114.0), 0.6667, 0.3333, 0.6667, 90.0, 114.0),
    (bucket(2, 2, 2, 1, 2, 0, 90.0, 114.0), 1.0, 0.5, 1.0, 90.0, 114.0),
    (bucket(2, 2, 1, 1, 0, 2, 300.0, 300.0), 0.5, 0.5, 0.0, 300.0, 300.0),
    # nothing needed a reply, nothing was timed: no rate, not 0
    (bucket(1, 0, 0, 0, 0, 0), None, None, None, None, None),
    (bucket(3, 3, 0, 0, 0, 3), 0.0, 0.0, 0.0, None, None),
    (bucket(7, 6, 5, 4, 3, 2, 12.34567, 45.6789), 0.8333, 0.6667, 0.6, 12.346, 45.679),
]


@pytest.mark.parametrize(("b", "support", "resolution", "attainment", "p50", "p90"), FIGURES)
def test_a_bucket_gives_the_hand_computed_figures(
    b: dict[str, Any], support: float | None, resolution: float | None,
    attainment: float | None, p50: float | None, p90: float | None,
) -> None:  # fmt: skip
    row = case_row("acme_jp", None, b)
    assert row is not None
    got = (row.support_rate, row.resolution_rate, row.sla_attainment)
    assert got == (support, resolution, attainment)
    assert (row.first_response_p50, row.first_response_p90) == (p50, p90)
    assert (row.group, row.cases, row.needs_reply) == ("acme_jp", b["doc_count"],
                                                       b["needs_reply"]["doc_count"])  # fmt: skip


def test_an_empty_bucket_is_no_row() -> None:
    assert case_row("care-en", None, bucket(0, 0, 0, 0, 0, 0)) is None


def test_the_report_csv_has_a_header_named_for_the_grouping_and_blank_absent_figures() -> None:
    period = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [case_row("Aiko", period, FIGURES[1][0]), case_row("Ben", None, FIGURES[3][0])]
    text = case_stats_csv([r for r in rows if r is not None], "agent")
    lines = text.split("\r\n")
    assert lines[0] == (
        "agent,period,cases,needs_reply,replied,resolved,support_rate,resolution_rate,"
        "first_response_p50,first_response_p90,sla_met,sla_breached,sla_attainment"
    )
    assert lines[1] == "Aiko,2026-01-01T00:00:00Z,2,2,2,1,1.0,0.5,90.0,114.0,2,0,1.0"
    assert lines[2] == "Ben,,1,0,0,0,,,,,0,0,"
    assert lines[3:] == [""]
    assert case_stats_csv([], None).startswith("all,period,")


SEARCH = {"text": "届かない", "lang": ["ja"]}


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        ({"name": "f", "search": SEARCH}, {"visibility": "private"}),
        ({"name": "f", "search": SEARCH, "visibility": "shared"}, {"visibility": "shared"}),
        (
            {"name": "f", "search": SEARCH, "visibility": "shared", "queue": "active-support"},
            {"visibility": "shared", "queue": "active-support"},
        ),
    ],
)
def test_a_saved_search_is_private_unless_shared(
    body: dict[str, Any], stored: dict[str, str]
) -> None:
    doc = SavedSearchIn.model_validate(body).doc()
    assert doc == {"name": "f", "search": SEARCH, **stored}


@pytest.mark.parametrize(
    "extra",
    [
        {"visibility": "team"},
        {"visibility": "private", "queue": "active-support"},
        {"queue": "active-support"},
        {"visibility": "shared", "queue": ""},
        {"visibility": "shared", "queue": "q" * 101},
        {"shared_with": ["everyone"]},
    ],
)
def test_a_sharing_that_is_not_one_is_refused(extra: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SavedSearchIn.model_validate({"name": "f", "search": SEARCH, **extra})
