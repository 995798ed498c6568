"""``/v1/queues``: every queue's counts, and a queue's cases in working order."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.api.deps import Labels, Now, QueueName, Reader, State
from services.api.queues import service as queues
from services.api.readmodel.querying import MAX_CURSOR
from services.plumbing.contracts.cases import CaseState
from services.plumbing.contracts.common import Priority
from services.plumbing.contracts.tweets import Topic

router = APIRouter(prefix="/v1", tags=["queues"])


@router.get("/queues", summary="Every queue with its counts and oldest case")
async def list_queues(
    _: Reader, state: State, now: Now, brand: Labels = None
) -> list[queues.QueueSummary]:
    return await queues.queue_summaries(state.es, state.prefix, now, brand=brand)


@router.get(
    "/queues/{queue}/cases",
    summary="A queue's cases, most urgent first: breached, time left, priority, age",
)
async def list_queue_cases(
    queue: QueueName,
    _: Reader,
    state: State,
    now: Now,
    case_state: Annotated[list[CaseState] | None, Query(alias="state")] = None,
    priority: Annotated[list[Priority] | None, Query()] = None,
    lang: Labels = None,
    topic: Annotated[list[Topic] | None, Query()] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    unassigned: bool | None = None,
    breached: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> queues.CasePage:
    filters: dict[str, Any] = {
        "assignee": assignee, "unassigned": unassigned, "breached": breached,
        "priority": priority or [], "lang": lang or [], "topic": topic or [],
    }  # fmt: skip
    if case_state:
        filters["state"] = case_state  # else the default: every open state
    return await queues.queue_cases(
        state.es, state.prefix, queue, queues.QueueFilters(**filters), cursor, limit, now,
        key=state.secret,
    )  # fmt: skip
