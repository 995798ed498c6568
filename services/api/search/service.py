"""Reading the read model: queue summaries, a queue's cases in working order, one case with its
thread and history, and search with filters and facets.

Every function takes the client and the index prefix; those where time matters take ``now``
(only the entry point reads the clock). Pages are cursor-based (``search_after``) with an opaque
base64 cursor. Bad cursors and impossible searches raise :class:`InvalidCursorError` and
:class:`InvalidSearchError`, an unknown case :class:`CaseNotFoundError` (400 and 404).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Literal

import orjson
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, ConfigDict, Field

from services.api.casefile import case_of
from services.api.errors import ApiError
from services.api.readmodel.documents import CASE_EVENTS, CASES, OPEN_STATES, TWEETS
from services.plumbing.contracts.cases import Case, CaseState
from services.plumbing.contracts.common import Direction, Priority, UtcTime
from services.plumbing.contracts.tweets import Sentiment, Topic
from services.plumbing.indices import index_name
from services.plumbing.search_text import full_text_query

MAX_EVENTS = 10_000  # of one case's history; Elasticsearch's default result window


class CaseNotFoundError(ApiError):
    def __init__(self, case_id: str) -> None:
        super().__init__(404, "case_not_found", f"there is no case {case_id}", case_id=case_id)


class InvalidCursorError(ApiError):
    def __init__(self, why: str) -> None:
        super().__init__(400, "invalid_cursor", f"the cursor is not valid here: {why}")


class InvalidSearchError(ApiError):
    def __init__(self, why: str) -> None:
        super().__init__(400, "invalid_search", why)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseView(_Model):
    """A case as the queues show it; seconds are relative to the ``now`` of the query."""

    case: Case
    case_version: int
    open: bool
    next_due_at: UtcTime | None
    breached: bool
    warned: bool
    first_response_seconds: float | None
    seconds_left: float | None = Field(description="Until next_due_at; negative when overdue")
    age_seconds: float = Field(description="Since the case opened")


class OldestCase(_Model):
    case_id: str
    opened_at: UtcTime
    priority: Priority
    waiting_seconds: float


class QueueSummary(_Model):
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


class QueueFilters(_Model):
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


class CasePage(_Model):
    items: list[CaseView]
    next_cursor: str | None


class CaseDetail(_Model):
    case: CaseView
    tweets: list[dict[str, Any]] = Field(description="Tweet documents of the thread, in order")
    missing_tweet_ids: list[str] = Field(description="Thread tweets not indexed (yet)")
    events: list[dict[str, Any]] = Field(description="Case-event documents by case_version")


Target = Literal["tweets", "cases"]
Sort = Literal["relevance", "newest", "oldest"]


class SearchRequest(_Model):
    """A search of tweets or cases. Filters a target does not have are refused (e.g. ``state``
    on tweets, ``complaint`` on cases). ``author`` is the author's (or customer's) handle;
    ``since``/``until`` bound ``created_at`` (tweets) or ``opened_at`` (cases), until exclusive.
    Full text searches the tweet text, or for cases the customer's name and description."""

    target: Target = "tweets"
    text: str | None = Field(default=None, max_length=500)
    brand: list[str] = Field(default_factory=list)
    handle: list[str] = Field(default_factory=list)
    queue: list[str] = Field(default_factory=list)
    topic: list[Topic] = Field(default_factory=list)
    complaint: bool | None = None
    sentiment: list[Sentiment] = Field(default_factory=list)
    lang: list[str] = Field(default_factory=list)
    priority: list[Priority] = Field(default_factory=list)
    state: list[CaseState] = Field(default_factory=list)
    author: list[str] = Field(default_factory=list)
    direction: Direction | None = None
    needs_reply: bool | None = None
    since: UtcTime | None = None
    until: UtcTime | None = None
    sort: Sort = "newest"
    size: int = Field(default=20, ge=1, le=500)
    cursor: str | None = None
    facets: list[str] | None = Field(default=None, description="None: the target's defaults")


class FacetBucket(_Model):
    value: str
    count: int


class SearchPage(_Model):
    total: int
    hits: list[dict[str, Any]]
    facets: dict[str, list[FacetBucket]]
    next_cursor: str | None


_FILTER_FIELDS: dict[Target, dict[str, str]] = {
    "tweets": {
        "brand": "brand", "handle": "handle", "queue": "queue", "topic": "topic",
        "complaint": "complaint", "sentiment": "sentiment", "lang": "lang",
        "priority": "priority", "author": "author.handle", "direction": "direction",
        "needs_reply": "needs_reply",
    },
    "cases": {
        "brand": "brand", "handle": "handle", "queue": "queue", "topic": "topic",
        "sentiment": "sentiment", "lang": "lang", "priority": "priority", "state": "state",
        "author": "customer.handle",
    },
}  # fmt: skip
_DEFAULT_FACETS: dict[Target, list[str]] = {
    "tweets": ["brand", "queue", "topic", "sentiment", "lang", "priority", "complaint"],
    "cases": ["brand", "queue", "state", "priority", "topic", "lang"],
}
_DATE_FIELD: dict[Target, str] = {"tweets": "created_at", "cases": "opened_at"}
_ID_FIELD: dict[Target, str] = {"tweets": "tweet_id", "cases": "case_id"}
_TEXT_FIELDS: dict[Target, list[str]] = {
    "tweets": ["text"],
    "cases": ["customer.name", "customer.description"],
}
_QUEUE_SORT: list[dict[str, Any]] = [
    {"breached": {"order": "desc"}},
    {"next_due_at": {"order": "asc", "missing": "_last"}},
    {"priority": {"order": "asc"}},  # P1 < P2 < ...
    {"opened_at": {"order": "asc"}},
    {"case_id": {"order": "asc"}},
]


def encode_cursor(scope: str, values: list[Any]) -> str:
    """An opaque cursor: the sort values of the last hit, and what they page through."""
    return base64.urlsafe_b64encode(orjson.dumps({"s": scope, "a": values})).decode()


def decode_cursor(cursor: str, scope: str) -> list[Any]:
    """The sort values in ``cursor``; raises :class:`InvalidCursorError` when it is not one of
    ``scope``'s cursors."""
    try:
        doc = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursorError("not a cursor") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("a"), list):
        raise InvalidCursorError("not a cursor")
    if doc.get("s") != scope:
        raise InvalidCursorError("it belongs to another list or sort order")
    values: list[Any] = doc["a"]
    return values


def _terms(field: str, values: list[Any]) -> dict[str, Any]:
    return {"terms": {field: [v.value if hasattr(v, "value") else v for v in values]}}


def _date(value: datetime) -> str:
    return value.isoformat()


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def case_view(doc: dict[str, Any], now: datetime) -> CaseView:
    """A case document (``_source``) as a :class:`CaseView` at ``now``."""
    case = case_of(doc)
    due = datetime.fromisoformat(doc["next_due_at"]) if doc.get("next_due_at") else None
    return CaseView(
        case=case,
        case_version=doc["case_version"],
        open=doc["open"],
        next_due_at=due,
        breached=doc["breached"],
        warned=doc["warned"],
        first_response_seconds=doc.get("first_response_seconds"),
        seconds_left=_seconds(due, now) if due else None,
        age_seconds=_seconds(now, case.opened_at),
    )


def _overdue(now: datetime) -> dict[str, Any]:
    return {
        "bool": {
            "should": [
                {"term": {"breached": True}},
                {"range": {"next_due_at": {"lte": _date(now)}}},
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
        query["bool"]["filter"].append(_terms("brand", brand))
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
                waiting_seconds=_seconds(now, opened),
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
        must.append(_terms("state", filters.state))
    if filters.assignee is not None:
        must.append({"term": {"assignee.id": filters.assignee}})
    if filters.unassigned is not None:
        exists = {"exists": {"field": "assignee.id"}}
        must.append({"bool": {"must_not": exists}} if filters.unassigned else exists)
    for name in ("priority", "brand", "handle", "lang", "topic"):
        values = getattr(filters, name)
        if values:
            must.append(_terms(name, values))
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
) -> CasePage:
    """One page of ``queue``'s cases in working order: breached first, then least time left
    (cases with no running clock last), then priority (P1 first), then the oldest, then id."""
    scope = f"queue:{queue}"
    response = await es.search(
        index=index_name(prefix, CASES),
        query=_queue_query(queue, filters),
        sort=_QUEUE_SORT,
        size=limit + 1,  # one more tells whether there is a next page
        search_after=decode_cursor(cursor, scope) if cursor else None,
        track_total_hits=False,
    )
    hits = response["hits"]["hits"][:limit]
    return CasePage(
        items=[case_view(h["_source"], now) for h in hits],
        next_cursor=_next(scope, response["hits"]["hits"], limit),
    )


def _next(scope: str, hits: list[dict[str, Any]], size: int) -> str | None:
    return encode_cursor(scope, hits[size - 1]["sort"]) if len(hits) > size else None


async def get_case(es: AsyncElasticsearch, prefix: str, case_id: str, now: datetime) -> CaseDetail:
    """The case, its thread's tweet documents (in thread order) and its events (by version);
    raises :class:`CaseNotFoundError`."""
    found = await es.options(ignore_status=404).get(index=index_name(prefix, CASES), id=case_id)
    if not found.body.get("found"):
        raise CaseNotFoundError(case_id)
    doc = found["_source"]
    tweet_ids: list[str] = doc.get("tweet_ids", [])
    tweets: list[dict[str, Any]] = []
    missing: list[str] = []
    if tweet_ids:
        got = await es.mget(index=index_name(prefix, TWEETS), ids=tweet_ids)
        for tweet_id, item in zip(tweet_ids, got["docs"], strict=True):
            if item.get("found"):
                tweets.append(item["_source"])
            else:
                missing.append(tweet_id)
    events = await es.search(
        index=index_name(prefix, CASE_EVENTS),
        query={"term": {"case_id": case_id}},
        sort=[{"case_version": "asc"}, {"occurred_at": "asc"}, {"event_id": "asc"}],
        size=MAX_EVENTS,
    )
    return CaseDetail(
        case=case_view(doc, now),
        tweets=tweets,
        missing_tweet_ids=missing,
        events=[h["_source"] for h in events["hits"]["hits"]],
    )


def search_index(prefix: str, request: SearchRequest) -> str:
    return index_name(prefix, TWEETS if request.target == "tweets" else CASES)


def search_query(request: SearchRequest) -> dict[str, Any]:
    """The Elasticsearch query of ``request``; raises :class:`InvalidSearchError`."""
    fields = _FILTER_FIELDS[request.target]
    must: list[dict[str, Any]] = []
    filters: list[dict[str, Any]] = []
    for name in sorted({n for t in _FILTER_FIELDS.values() for n in t}):
        value = getattr(request, name)
        if value is None or value == []:
            continue
        if name not in fields:
            raise InvalidSearchError(f"{request.target} cannot be filtered by {name}")
        if isinstance(value, list):
            filters.append(_terms(fields[name], value))
        else:
            filters.append({"term": {fields[name]: getattr(value, "value", value)}})
    if request.since or request.until:
        bounds: dict[str, str] = {}
        if request.since:
            bounds["gte"] = _date(request.since)
        if request.until:
            bounds["lt"] = _date(request.until)
        filters.append({"range": {_DATE_FIELD[request.target]: bounds}})
    if request.text and request.text.strip():
        texts = [full_text_query(request.text, f) for f in _TEXT_FIELDS[request.target]]
        either = {"bool": {"should": texts, "minimum_should_match": 1}}
        must.append(texts[0] if len(texts) == 1 else either)
    return {"bool": {"must": must or [{"match_all": {}}], "filter": filters}}


def search_sort(request: SearchRequest) -> list[dict[str, Any]]:
    date, ident = _DATE_FIELD[request.target], _ID_FIELD[request.target]
    if request.sort == "relevance":
        return [{"_score": "desc"}, {date: "desc"}, {ident: "asc"}]
    return [{date: "desc" if request.sort == "newest" else "asc"}, {ident: "asc"}]


def _facets(request: SearchRequest) -> dict[str, Any]:
    names = _DEFAULT_FACETS[request.target] if request.facets is None else request.facets
    fields = _FILTER_FIELDS[request.target]
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise InvalidSearchError(f"{request.target} have no facet {', '.join(unknown)}")
    return {name: {"terms": {"field": fields[name], "size": 50}} for name in names}


async def search(es: AsyncElasticsearch, prefix: str, request: SearchRequest) -> SearchPage:
    """One page of tweets or cases matching ``request``, with its total and facet counts."""
    scope = f"search:{request.target}:{request.sort}"
    response = await es.search(
        index=search_index(prefix, request),
        query=search_query(request),
        sort=search_sort(request),
        size=request.size + 1,
        search_after=decode_cursor(request.cursor, scope) if request.cursor else None,
        aggs=_facets(request) or None,
        track_total_hits=True,
    )
    hits = response["hits"]["hits"]
    facets = {
        name: [
            FacetBucket(value=str(b.get("key_as_string", b["key"])), count=b["doc_count"])
            for b in agg["buckets"]
        ]
        for name, agg in response.get("aggregations", {}).items()
    }
    return SearchPage(
        total=response["hits"]["total"]["value"],
        hits=[h["_source"] for h in hits[: request.size]],
        facets=facets,
        next_cursor=_next(scope, hits, request.size),
    )
