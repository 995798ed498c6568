"""Queues, cases, search, CSV export and statistics: answered from the read model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from services.api.auth import READ, require
from services.api.errors import ApiError
from services.api.readmodel import queries, stats
from services.api.readmodel.export import export_csv
from services.api.state import Shared, shared
from services.plumbing.contracts.actions import Actor, Role
from services.plumbing.contracts.cases import CaseState
from services.plumbing.contracts.common import Priority
from services.plumbing.contracts.tweets import Topic

router = APIRouter(prefix="/v1")
State = Annotated[Shared, Depends(shared)]
Reader = Annotated[Actor, Depends(require(READ))]
Analyst = Annotated[
    Actor, Depends(require(frozenset({Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATOR})))
]
Name = Annotated[str, Path(pattern=r"^[0-9A-Za-z_.\-]{1,64}$")]
CaseId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_.:\-]{1,64}$")]
Labels = Annotated[list[Annotated[str, Query(max_length=64)]], Query(max_length=50)]


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/me", tags=["security"], summary="Who the token speaks for: id, name, role")
async def me(actor: Reader) -> Actor:
    return actor


@router.get("/queues", tags=["queues"], summary="Every queue with its counts and oldest case")
async def list_queues(
    _: Reader, state: State, brand: Labels | None = None
) -> list[queries.QueueSummary]:
    return await queries.queue_summaries(state.es, state.prefix, _now(), brand=brand)


@router.get(
    "/queues/{queue}/cases", tags=["queues"],
    summary="A queue's cases, most urgent first: breached, time left, priority, age",
)  # fmt: skip
async def list_queue_cases(
    queue: Name,
    _: Reader,
    state: State,
    case_state: Annotated[list[CaseState] | None, Query(alias="state")] = None,
    priority: Annotated[list[Priority] | None, Query()] = None,
    lang: Labels | None = None,
    topic: Annotated[list[Topic] | None, Query()] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    unassigned: bool | None = None,
    breached: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> queries.CasePage:
    filters: dict[str, Any] = {
        "assignee": assignee, "unassigned": unassigned, "breached": breached,
        "priority": priority or [], "lang": lang or [], "topic": topic or [],
    }  # fmt: skip
    if case_state:
        filters["state"] = case_state
    return await queries.queue_cases(
        state.es, state.prefix, queue, queries.QueueFilters(**filters), cursor, limit, _now()
    )


@router.get("/cases/{case_id}", tags=["cases"], summary="A case with its thread and history")
async def get_case(case_id: CaseId, _: Reader, state: State) -> queries.CaseDetail:
    return await queries.get_case(state.es, state.prefix, case_id, _now())


@router.post("/search", tags=["search"], summary="Full text and filters over tweets or cases")
async def search(body: queries.SearchRequest, _: Reader, state: State) -> queries.SearchPage:
    return await queries.search(state.es, state.prefix, body)


@router.post(
    "/search/export", tags=["search"], summary="The whole search as CSV, streamed",
    response_class=StreamingResponse,
)  # fmt: skip
async def export(body: queries.SearchRequest, _: Reader, state: State) -> StreamingResponse:
    queries.search_query(body)  # a bad search is a 400 now, not half a file later
    name = f"tweetcare-{body.target}-{_now():%Y%m%d-%H%M%S}.csv"
    return StreamingResponse(
        export_csv(state.es, state.prefix, body), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


@router.get(
    "/saved-searches/{doc_id}/export.csv", tags=["search"], response_class=StreamingResponse
)
async def export_saved(
    doc_id: Annotated[str, Path(pattern=r"^[0-9a-f]{1,32}$")], actor: Reader, state: State
) -> StreamingResponse:
    doc = await state.saved.get(doc_id)
    if doc is None or doc.get("created_by") != actor.id:
        raise ApiError(404, "saved_search_not_found", f"no saved search {doc_id} of yours")
    try:
        body = queries.SearchRequest.model_validate(doc["search"])
    except ValueError as exc:
        raise ApiError(
            400, "invalid_search", f"the saved search is no longer valid: {exc}"
        ) from exc
    return await export(body, actor, state)


def _window(
    since: datetime | None, until: datetime | None, brand: list[str] | None,
    queue: list[str] | None, interval: str | None, tz: str,
) -> stats.StatsWindow:  # fmt: skip
    end = until or _now()
    try:
        return stats.StatsWindow(
            since=since or end - timedelta(days=7), until=end, brand=brand or [],
            queue=queue or [], interval=interval, time_zone=tz,
        )  # fmt: skip
    except ValueError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc


Since = Annotated[datetime | None, Query(description="Default: 7 days before until")]
Until = Annotated[datetime | None, Query(description="Default: now")]
Interval = Annotated[str | None, Query(pattern="^(hour|day|week|month)$")]
Zone = Annotated[str, Query(max_length=64)]


@router.get("/stats/cases", tags=["statistics"],
            summary="First response p50/p90, SLA attainment, support and resolution")  # fmt: skip
async def case_stats(
    _: Analyst, state: State, since: Since = None, until: Until = None,
    brand: Labels | None = None, queue: Labels | None = None, interval: Interval = None,
    group_by: Annotated[str | None, Query(pattern="^(queue|brand)$")] = "queue",
    tz: Zone = "UTC",
) -> list[stats.CaseStats]:  # fmt: skip
    window = _window(since, until, brand, queue, interval, tz)
    return await stats.case_stats(state.es, state.prefix, window, group_by)  # type: ignore[arg-type]


@router.get("/stats/backlog", tags=["statistics"], summary="Opened, closed and open over time")
async def backlog(
    _: Analyst, state: State, since: Since = None, until: Until = None,
    brand: Labels | None = None, queue: Labels | None = None,
    interval: Annotated[str, Query(pattern="^(hour|day|week|month)$")] = "day", tz: Zone = "UTC",
) -> list[stats.BacklogPoint]:  # fmt: skip
    window = _window(since, until, brand, queue, None, tz)
    return await stats.backlog(state.es, state.prefix, window, interval)  # type: ignore[arg-type]


@router.get(
    "/stats/volume", tags=["statistics"], summary="Inbound volume by topic, sentiment or language"
)
async def volume(
    _: Analyst, state: State, by: Annotated[str, Query(pattern="^(topic|sentiment|lang)$")],
    since: Since = None, until: Until = None, brand: Labels | None = None,
    queue: Labels | None = None, interval: Interval = None, tz: Zone = "UTC",
) -> list[stats.VolumeRow]:  # fmt: skip
    window = _window(since, until, brand, queue, interval, tz)
    return await stats.volume(state.es, state.prefix, window, by)  # type: ignore[arg-type]


@router.get("/stats/sla", tags=["statistics"], summary="SLA warnings and breaches fired")
async def sla_alerts(
    _: Analyst, state: State, since: Since = None, until: Until = None,
    brand: Labels | None = None, queue: Labels | None = None, interval: Interval = None,
    group_by: Annotated[str | None, Query(pattern="^(queue|brand)$")] = "queue", tz: Zone = "UTC",
) -> list[stats.SlaAlertRow]:  # fmt: skip
    window = _window(since, until, brand, queue, interval, tz)
    return await stats.sla_alerts(state.es, state.prefix, window, group_by)  # type: ignore[arg-type]
