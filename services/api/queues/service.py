"""The work queues: per queue, its open cases counted; per queue, its cases in working order.

Every function takes the client and the index prefix, and the ``now`` of the request (only the
entry point reads the clock). A queue's pages are cursor-based (``search_after``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import AsyncElasticsearch
from pydantic import Field

from services.api.cases.view import CaseView, case_view
from services.api.readmodel.documents import OPEN_STATES
from services.api.readmodel.indices import CASES, index_name
from services.api.readmodel.querying import Frozen, decode_cursor, next_cursor, terms
from services.plumbing.contracts.cases import CaseState
from services.plumbing.contracts.common import Priority, UtcTime
from services.plumbing.contracts.tweets import Topic


class OldestCase(Frozen):
    case_id: str
    opened_at: UtcTime
    priority: Priority
    waiting_seconds: float


class QueueSummary(Frozen):
    """Open cases of one queue. ``breached`` counts breached cases and those overdue at ``now``
    whose breach has not arrived yet; ``warned`` counts the others that fired a warning."""

    queue: str
    open: int
    unassigned: int
    warned: int
    breached: int
    oldest_waiting: OldestCase | None = Field(
        description="The longest-open case waiting on the brand (not on the customer)"
    )


class QueueFilters(Frozen):
    state: list[CaseState] = Field(default_factory=lambda: sorted(OPEN_STATES))
    assignee: str | None = None
    unassigned: bool | None = None
    priority: list[Priority] = Field(default_factory=list)
    brand: list[str] = Field(default_factory=list)
    handle: list[str] = Field(default_factory=list)
    lang: list[str] = Field(default_factory=list)
    topic: list[Topic] = Field(default_factory=list)
    vip: bool | None = None
    breached: bool | None = None
    warned: bool | None = None


class CasePage(Frozen):
    items: list[CaseView]
    next_cursor: str | None


# The console keeps a list in this order as live changes arrive (console/static/mirror.js).
WORKING_ORDER: list[dict[str, Any]] = [
    {"breached": {"order": "desc"}},
    {"next_due_at": {"order": "asc", "missing": "_last"}},
    {"priority": {"order": "asc"}},  # P1 < P2 < ...
    {"opened_at": {"order": "asc"}},
    {"case_id": {"order": "asc"}},
]


def _overdue(now: datetime) -> dict[str, Any]:
    return {
        "bool": {
            "should": [
                {"term": {"breached": True}},
                {"range": {"next_due_at": {"lte": now.isoformat()}}},
            ],
            "minimum_should_match": 1,
        }
    }


async def queue_summaries(
    es: AsyncElasticsearch, prefix: str, now: datetime, *, brand: list[str] | None = None
) -> list[QueueSummary]:
    """Per queue with open cases: open, unassigned, warned and breached counts (at ``now``)
    and the oldest case waiting on the brand; sorted by queue name."""
    query: dict[str, Any] = {"bool": {"filter": [{"term": {"open": True}}]}}
    if brand:
        query["bool"]["filter"].append(terms("brand", brand))
    waiting = sorted(s.value for s in OPEN_STATES if s != CaseState.WAITING_ON_CUSTOMER)
    unassigned = {"bool": {"must_not": {"exists": {"field": "assignee.id"}}}}
    warned = {"bool": {"filter": {"term": {"warned": True}}, "must_not": _overdue(now)}}
    response = await es.search(
        index=index_name(prefix, CASES),
        size=0,
        query=query,
        aggs={
            "queues": {
                "terms": {"field": "queue", "size": 10_000, "order": {"_key": "asc"}},
                "aggs": {
                    "unassigned": {"filter": unassigned},
                    "breached": {"filter": _overdue(now)},
                    "warned": {"filter": warned},
                    "waiting": {
                        "filter": {"terms": {"state": waiting}},
                        "aggs": {
                            "oldest": {
                                "top_hits": {
                                    "size": 1,
                                    "sort": [{"opened_at": "asc"}, {"case_id": "asc"}],
                                    "_source": ["case_id", "opened_at", "priority"],
                                }
                            }
                        },
                    },
                },
            }
        },
    )  # fmt: skip
    summaries = []
    for bucket in response["aggregations"]["queues"]["buckets"]:
        hits = bucket["waiting"]["oldest"]["hits"]["hits"]
        oldest = None
        if hits:
            src = hits[0]["_source"]
            opened = datetime.fromisoformat(src["opened_at"])
            oldest = OldestCase(
                case_id=src["case_id"], opened_at=opened, priority=src["priority"],
                waiting_seconds=(now - opened).total_seconds(),
            )  # fmt: skip
        summaries.append(
            QueueSummary(
                queue=bucket["key"], open=bucket["doc_count"],
                unassigned=bucket["unassigned"]["doc_count"], warned=bucket["warned"]["doc_count"],
                breached=bucket["breached"]["doc_count"], oldest_waiting=oldest,
            )
        )  # fmt: skip
    return summaries


def _queue_query(queue: str, filters: QueueFilters) -> dict[str, Any]:
    must: list[dict[str, Any]] = [{"term": {"queue": queue}}]
    if filters.state:
        must.append(terms("state", filters.state))
    if filters.assignee is not None:
        must.append({"term": {"assignee.id": filters.assignee}})
    if filters.unassigned is not None:
        exists = {"exists": {"field": "assignee.id"}}
        must.append({"bool": {"must_not": exists}} if filters.unassigned else exists)
    for name in ("priority", "brand", "handle", "lang", "topic"):
        values = getattr(filters, name)
        if values:
            must.append(terms(name, values))
    for name in ("vip", "breached", "warned"):
        value = getattr(filters, name)
        if value is not None:
            must.append({"term": {name: value}})
    return {"bool": {"filter": must}}


async def queue_cases(
    es: AsyncElasticsearch,
    prefix: str,
    queue: str,
    filters: QueueFilters,
    cursor: str | None,
    limit: int,
    now: datetime,
    *,
    key: bytes,
) -> CasePage:
    """One page of ``queue``'s cases in working order: breached first, then least time left
    (cases with no running clock last), then priority (P1 first), then the oldest, then id.
    Cursors are signed with ``key``."""
    scope = f"queue:{queue}"
    response = await es.search(
        index=index_name(prefix, CASES),
        query=_queue_query(queue, filters),
        sort=WORKING_ORDER,
        size=limit + 1,  # one more tells whether there is a next page
        search_after=decode_cursor(cursor, scope, key=key) if cursor else None,
        track_total_hits=False,
    )
    hits = response["hits"]["hits"][:limit]
    return CasePage(
        items=[case_view(h["_source"], now) for h in hits],
        next_cursor=next_cursor(scope, response["hits"]["hits"], limit, key=key),
    )
