"""Statistics of the read model, computed by Elasticsearch aggregations.

- :func:`case_stats` (cases opened in the window, by queue, brand, handle or agent and period;
  :func:`case_row` makes one bucket's figures, :func:`case_stats_csv` the CSV): first-response
  time p50/p90 (wall-clock seconds; for small groups Elasticsearch's percentiles are exact with
  linear interpolation, like ``statistics.quantiles(method="inclusive")``; approximate beyond
  some thousands), first-response SLA attainment (met ÷ (met + breached)), support rate
  (replied ÷ needs reply) and resolution rate (resolved ÷ needs reply). Spam cases are left
  out; a case closed without reply and never answered did not need one.
- :func:`backlog`: per period, cases opened, cases closed, and the cases open at its end.
- :func:`volume`: tweets by topic, sentiment or language (inbound by default).
- :func:`sla_alerts`: warnings and breaches fired, from the case events.

Periods are calendar periods in ``time_zone``; a window is ``[since, until)``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elasticsearch import AsyncElasticsearch
from pydantic import Field, field_validator, model_validator

from services.api.errors import BadQueryError
from services.api.readmodel.indices import CASE_EVENTS, CASES, TWEETS, index_name
from services.api.readmodel.querying import Frozen
from services.plumbing.contracts.cases import CaseState
from services.plumbing.contracts.common import Direction, UtcTime

Interval = Literal["hour", "day", "week", "month"]
GroupBy = Literal["queue", "brand", "handle", "agent"]
VolumeBy = Literal["topic", "sentiment", "lang"]


MAX_PERIODS = 1_000
"""The most periods one answer may hold (e.g. 41 days by hour, 2.7 years by day): with every
group's leaf aggregations they must stay under Elasticsearch's ``search.max_buckets``."""
# The shortest each calendar period can be (a day of a DST change is 23 hours): periods in a
# window are at most its length over these, plus the two it may straddle.
_SHORTEST: dict[str, timedelta] = {
    "hour": timedelta(hours=1),
    "day": timedelta(hours=23),
    "week": timedelta(days=7) - timedelta(hours=1),
    "month": timedelta(days=28) - timedelta(hours=1),
}


def periods(since: datetime, until: datetime, interval: Interval | None) -> int:
    """At most how many ``interval`` periods ``[since, until)`` touches (1 with no interval)."""
    if interval is None:
        return 1
    return int((until - since) / _SHORTEST[interval]) + 2


def check_periods(since: datetime, until: datetime, interval: Interval | None) -> None:
    """Raise :class:`BadQueryError` (``too_many_buckets``) when the window holds more than
    :data:`MAX_PERIODS` periods of ``interval``."""
    count = periods(since, until, interval)
    if count > MAX_PERIODS:
        raise BadQueryError(
            "too_many_buckets",
            f"the window holds up to {count} {interval} periods, more than {MAX_PERIODS}: "
            "shorten it or choose a longer interval",
        )


class StatsWindow(Frozen):
    since: UtcTime
    until: UtcTime
    brand: list[str] = Field(default_factory=list)
    queue: list[str] = Field(default_factory=list)
    interval: Interval | None = Field(default=None, description="None: one row per group")
    time_zone: str = Field(default="UTC", max_length=64, description="e.g. Asia/Tokyo")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _ordered(self) -> StatsWindow:
        if self.until <= self.since:
            raise ValueError("until must be after since")
        return self


class CaseStats(Frozen):
    group: str | None
    period: datetime | None
    cases: int
    needs_reply: int
    replied: int
    resolved: int
    first_response_p50: float | None
    first_response_p90: float | None
    sla_met: int
    sla_breached: int
    sla_attainment: float | None
    support_rate: float | None
    resolution_rate: float | None


class BacklogPoint(Frozen):
    period: datetime
    opened: int
    closed: int
    open_at_end: int


class VolumeRow(Frozen):
    period: datetime | None
    key: str
    count: int


class SlaAlertRow(Frozen):
    group: str | None
    period: datetime | None
    clock: str
    warnings: int
    breaches: int


def _range(field: str, window: StatsWindow) -> dict[str, Any]:
    return {"range": {field: {"gte": window.since.isoformat(), "lt": window.until.isoformat()}}}


def _scope(window: StatsWindow, date_field: str | None) -> list[dict[str, Any]]:
    """Brand and queue filters, and the window on ``date_field`` unless it is None."""
    filters = [_range(date_field, window)] if date_field else []
    if window.brand:
        filters.append({"terms": {"brand": window.brand}})
    if window.queue:
        filters.append({"terms": {"queue": window.queue}})
    return filters


def _histogram(field: str, window: StatsWindow, interval: Interval) -> dict[str, Any]:
    return {
        "field": field,
        "calendar_interval": interval,
        "time_zone": window.time_zone,
        "min_doc_count": 0,
        "extended_bounds": {
            "min": int(window.since.timestamp() * 1000),
            "max": int(window.until.timestamp() * 1000) - 1,
        },
    }


# The field each grouping reads. A case's agent is the one who holds it (or held it when it
# closed), by name as the token names them; a case no one ever held is in no agent's row.
_GROUP_FIELDS: dict[str, str] = {"agent": "assignee.name"}


def _nest(
    leaf: dict[str, Any], window: StatsWindow, date_field: str, group: str | None
) -> dict[str, Any]:
    """``leaf`` aggregations under an optional period histogram under an optional terms."""
    aggs = leaf
    if window.interval:
        period = _histogram(date_field, window, window.interval)
        aggs = {"period": {"date_histogram": period, "aggs": aggs}}
    if group:
        field = _GROUP_FIELDS.get(group, group)
        terms = {"field": field, "size": 1_000, "order": {"_key": "asc"}}
        aggs = {"group": {"terms": terms, "aggs": aggs}}
    return aggs


def _rows(
    aggs: dict[str, Any]
) -> Iterator[tuple[str | None, datetime | None, dict[str, Any]]]:  # fmt: skip
    """(group, period, leaf bucket) for every leaf of a :func:`_nest` result."""
    groups: list[tuple[str | None, dict[str, Any]]] = [(None, aggs)]
    if "group" in aggs:
        groups = [(str(b["key"]), b) for b in aggs["group"]["buckets"]]
    for group, bucket in groups:
        if "period" in bucket:
            for p in bucket["period"]["buckets"]:
                yield group, datetime.fromtimestamp(p["key"] / 1000, UTC), p
        else:
            yield group, None, bucket


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _pct(values: dict[str, float | None], key: str) -> float | None:
    value = values.get(key)
    return round(value, 3) if value is not None else None


_NO_REPLY_NEEDED = {
    "bool": {
        "filter": {"term": {"state": CaseState.CLOSED_NO_REPLY.value}},
        "must_not": {"exists": {"field": "first_response_at"}},
    }
}


async def case_stats(
    es: AsyncElasticsearch, prefix: str, window: StatsWindow, group_by: GroupBy | None = "queue"
) -> list[CaseStats]:
    """First response, SLA attainment, support and resolution rates of the cases opened in
    ``window`` (spam left out), per group and period (only non-empty ones)."""
    leaf = {
        "needs_reply": {"filter": {"bool": {"must_not": _NO_REPLY_NEEDED}}},
        "replied": {"filter": {"exists": {"field": "first_response_at"}}},
        "resolved": {"filter": {"term": {"state": CaseState.RESOLVED.value}}},
        "first_response": {
            "percentiles": {"field": "first_response_seconds", "percents": [50, 90]}
        },
        "sla_met": {"filter": {"term": {"sla.first_response": "met"}}},
        "sla_breached": {"filter": {"term": {"sla.first_response": "breached"}}},
    }
    query = {
        "bool": {
            "filter": _scope(window, "opened_at"),
            "must_not": {"term": {"state": CaseState.SPAM.value}},
        }
    }
    response = await es.search(
        index=index_name(prefix, CASES), size=0, query=query,
        aggs=_nest(leaf, window, "opened_at", group_by), track_total_hits=True,
    )  # fmt: skip
    aggs = dict(response["aggregations"])
    if not group_by and not window.interval:
        aggs["doc_count"] = response["hits"]["total"]["value"]
    rows = (case_row(group, period, b) for group, period, b in _rows(aggs))
    return [row for row in rows if row is not None]


def case_row(group: str | None, period: datetime | None, b: dict[str, Any]) -> CaseStats | None:
    """The figures of one leaf bucket of :func:`case_stats`' aggregations (None when it holds no
    case): support rate = replied ÷ needs reply, resolution rate = resolved ÷ needs reply, SLA
    attainment = met ÷ (met + breached), each rounded to 4 places and None over nothing."""
    if b["doc_count"] == 0:
        return None
    needs, replied = b["needs_reply"]["doc_count"], b["replied"]["doc_count"]
    met, breached = b["sla_met"]["doc_count"], b["sla_breached"]["doc_count"]
    resolved = b["resolved"]["doc_count"]
    values = b["first_response"]["values"]
    return CaseStats(
        group=group, period=period, cases=b["doc_count"], needs_reply=needs, replied=replied,
        resolved=resolved, first_response_p50=_pct(values, "50.0"),
        first_response_p90=_pct(values, "90.0"), sla_met=met, sla_breached=breached,
        sla_attainment=_ratio(met, met + breached), support_rate=_ratio(replied, needs),
        resolution_rate=_ratio(resolved, needs),
    )  # fmt: skip


CSV_COLUMNS = (
    "group", "period", "cases", "needs_reply", "replied", "resolved", "support_rate",
    "resolution_rate", "first_response_p50", "first_response_p90", "sla_met", "sla_breached",
    "sla_attainment",
)  # fmt: skip


def case_stats_csv(rows: list[CaseStats], group_by: GroupBy | None) -> str:
    """``rows`` as CSV (header first, CRLF lines): the first column is named for ``group_by``
    (``all`` without one); an absent figure is an empty cell, a period is ISO 8601 UTC."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([group_by or "all", *CSV_COLUMNS[1:]])
    for row in rows:
        values = row.model_dump(mode="json")
        writer.writerow(["" if values[c] is None else values[c] for c in CSV_COLUMNS])
    return buffer.getvalue()


async def backlog(
    es: AsyncElasticsearch, prefix: str, window: StatsWindow, interval: Interval = "day"
) -> list[BacklogPoint]:
    """Per period of ``window``: cases opened, closed (resolved, no reply or spam) and open at
    its end. A reopened case counts as open from its opening (its earlier close is gone from
    the snapshot)."""
    before = {
        "bool": {
            "filter": {"range": {"opened_at": {"lt": window.since.isoformat()}}},
            "must_not": {"range": {"resolved_at": {"lt": window.since.isoformat()}}},
        }
    }
    response = await es.search(
        index=index_name(prefix, CASES),
        size=0,
        query={"bool": {"filter": _scope(window, None)}},
        aggs={
            "before": {"filter": before},
            "opened": {
                "filter": _range("opened_at", window),
                "aggs": {"h": {"date_histogram": _histogram("opened_at", window, interval)}},
            },
            "closed": {
                "filter": _range("resolved_at", window),
                "aggs": {"h": {"date_histogram": _histogram("resolved_at", window, interval)}},
            },
        },
    )
    aggs = response["aggregations"]
    opened = {b["key"]: b["doc_count"] for b in aggs["opened"]["h"]["buckets"]}
    closed = {b["key"]: b["doc_count"] for b in aggs["closed"]["h"]["buckets"]}
    level = aggs["before"]["doc_count"]
    points = []
    for key in sorted(opened.keys() | closed.keys()):
        level += opened.get(key, 0) - closed.get(key, 0)
        points.append(
            BacklogPoint(
                period=datetime.fromtimestamp(key / 1000, UTC), opened=opened.get(key, 0),
                closed=closed.get(key, 0), open_at_end=level,
            )
        )  # fmt: skip
    return points


async def volume(
    es: AsyncElasticsearch,
    prefix: str,
    window: StatsWindow,
    by: VolumeBy,
    *,
    direction: Direction | None = Direction.INBOUND,
) -> list[VolumeRow]:
    """Tweets created in ``window`` per value of ``by`` (and period); ``window.queue`` filters
    on the queue triage chose."""
    filters = _scope(window, "created_at")
    if direction is not None:
        filters.append({"term": {"direction": direction.value}})
    leaf: dict[str, Any] = {"value": {"terms": {"field": by, "size": 100}}}
    response = await es.search(
        index=index_name(prefix, TWEETS), size=0, query={"bool": {"filter": filters}},
        aggs=_nest(leaf, window, "created_at", None),
    )  # fmt: skip
    return [
        VolumeRow(period=period, key=str(v["key"]), count=v["doc_count"])
        for _, period, b in _rows(dict(response["aggregations"]))
        for v in b["value"]["buckets"]
    ]


async def sla_alerts(
    es: AsyncElasticsearch, prefix: str, window: StatsWindow, group_by: GroupBy | None = "queue"
) -> list[SlaAlertRow]:
    """Warnings and breaches fired in ``window`` per clock (and group and period), counted from
    the case events (the queue is the case's queue right after the event)."""
    filters = [
        *_scope(window, "occurred_at"),
        {"terms": {"kind": ["sla_warning", "sla_breach"]}},
    ]
    leaf: dict[str, Any] = {
        "clock": {
            "terms": {"field": "clock", "size": 10},
            "aggs": {"kind": {"terms": {"field": "kind", "size": 2}}},
        }
    }
    response = await es.search(
        index=index_name(prefix, CASE_EVENTS), size=0, query={"bool": {"filter": filters}},
        aggs=_nest(leaf, window, "occurred_at", group_by),
    )  # fmt: skip
    out = []
    for group, period, b in _rows(dict(response["aggregations"])):
        for clock in b["clock"]["buckets"]:
            kinds = {k["key"]: k["doc_count"] for k in clock["kind"]["buckets"]}
            out.append(
                SlaAlertRow(
                    group=group, period=period, clock=clock["key"],
                    warnings=kinds.get("sla_warning", 0), breaches=kinds.get("sla_breach", 0),
                )
            )  # fmt: skip
    return out
