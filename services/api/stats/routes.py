"""``/v1/stats/*``: statistics of the read model, for supervisors, admins and integrators."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.api.deps import Analyst, Labels, Now, State
from services.api.errors import InvalidInputError
from services.api.stats import agreement as agree
from services.api.stats import service as stats
from services.api.stats.agreement import AgreementBy, VerdictLabel
from services.api.stats.service import GroupBy, Interval, VolumeBy

router = APIRouter(prefix="/v1", tags=["statistics"])

Since = Annotated[datetime | None, Query(description="Default: 7 days before until")]
Until = Annotated[datetime | None, Query(description="Default: now")]
Zone = Annotated[str, Query(max_length=64)]
CaseGroup = Annotated[
    GroupBy | Literal["all"] | None, Query(description="all: one row over every group")
]


def _window(
    now: datetime, since: datetime | None, until: datetime | None, brand: list[str] | None,
    queue: list[str] | None, interval: Interval | None, tz: str,
    periods: Interval | None = None,
) -> stats.StatsWindow:  # fmt: skip
    """The window asked for; 422 when it is not one, 400 ``too_many_buckets`` when it holds
    too many periods of ``periods`` (default ``interval``)."""
    end = until or now
    start = since or end - timedelta(days=7)
    try:
        window = stats.StatsWindow(
            since=start, until=end, brand=brand or [],
            queue=queue or [], interval=interval, time_zone=tz,
        )  # fmt: skip
    except ValueError as exc:
        raise InvalidInputError("invalid_input", str(exc)) from exc
    stats.check_periods(window.since, window.until, periods or interval)
    return window


@router.get(
    "/stats/cases", summary="First response p50/p90, SLA attainment, support and resolution"
)
async def case_stats(
    _: Analyst, state: State, now: Now, since: Since = None, until: Until = None,
    brand: Labels = None, queue: Labels = None, interval: Interval | None = None,
    group_by: CaseGroup = "queue", tz: Zone = "UTC",
) -> list[stats.CaseStats]:  # fmt: skip
    window = _window(now, since, until, brand, queue, interval, tz)
    group = None if group_by == "all" else group_by
    return await stats.case_stats(state.es, state.prefix, window, group)


@router.get(
    "/stats/cases.csv", summary="The figures of /stats/cases as CSV", response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)  # fmt: skip
async def case_stats_csv(
    _: Analyst, state: State, now: Now, since: Since = None, until: Until = None,
    brand: Labels = None, queue: Labels = None, interval: Interval | None = None,
    group_by: CaseGroup = "queue", tz: Zone = "UTC",
) -> Response:  # fmt: skip
    window = _window(now, since, until, brand, queue, interval, tz)
    group = None if group_by == "all" else group_by
    rows = await stats.case_stats(state.es, state.prefix, window, group)
    name = f"tweetcare-report-{group or 'all'}-{now:%Y%m%d-%H%M%S}.csv"
    return Response(
        stats.case_stats_csv(rows, group), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


@router.get("/stats/backlog", summary="Opened, closed and open over time")
async def backlog(
    _: Analyst, state: State, now: Now, since: Since = None, until: Until = None,
    brand: Labels = None, queue: Labels = None, interval: Interval = "day",
    tz: Zone = "UTC",
) -> list[stats.BacklogPoint]:  # fmt: skip
    window = _window(now, since, until, brand, queue, None, tz, periods=interval)
    return await stats.backlog(state.es, state.prefix, window, interval)


@router.get("/stats/volume", summary="Inbound volume by topic, sentiment or language")
async def volume(
    _: Analyst, state: State, now: Now, by: VolumeBy, since: Since = None, until: Until = None,
    brand: Labels = None, queue: Labels = None, interval: Interval | None = None,
    tz: Zone = "UTC",
) -> list[stats.VolumeRow]:  # fmt: skip
    window = _window(now, since, until, brand, queue, interval, tz)
    return await stats.volume(state.es, state.prefix, window, by)


@router.get("/stats/sla", summary="SLA warnings and breaches fired")
async def sla_alerts(
    _: Analyst, state: State, now: Now, since: Since = None, until: Until = None,
    brand: Labels = None, queue: Labels = None, interval: Interval | None = None,
    group_by: GroupBy | None = "queue", tz: Zone = "UTC",
) -> list[stats.SlaAlertRow]:  # fmt: skip
    window = _window(now, since, until, brand, queue, interval, tz)
    return await stats.sla_alerts(state.es, state.prefix, window, group_by)


@router.get(
    "/stats/agreement",
    summary="How often agents overturn triage, by label, queue, language or model version",
)
async def agreement(
    _: Analyst, state: State, now: Now, by: AgreementBy = "label", since: Since = None,
    until: Until = None, brand: Labels = None, queue: Labels = None,
    label: VerdictLabel | None = None,
) -> list[agree.AgreementRow]:  # fmt: skip
    """Agents' verdicts on triage's decisions in the window (case events by their time): per
    group, agreed, overturned and the overturn rate (overturned ÷ both; null with none);
    ``label`` keeps one label's verdicts."""
    window = _window(now, since, until, brand, queue, None, "UTC")
    return await agree.agreement(state.es, state.prefix, window, by, label)
