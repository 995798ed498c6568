"""Search over tweets or cases: full text (English and Japanese) and filters, with facet counts.

Pages are cursor-based (``search_after``). A search that cannot be answered (a filter or facet
its target does not have) raises :class:`~services.api.errors.InvalidSearchError`, a cursor of
another search :class:`~services.api.errors.InvalidCursorError`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from elasticsearch import AsyncElasticsearch
from pydantic import Field

from services.api.errors import InvalidSearchError
from services.api.readmodel.indices import CASES, TWEETS, index_name
from services.api.readmodel.querying import (
    MAX_CURSOR,
    Frozen,
    decode_cursor,
    next_cursor,
    terms,
)
from services.plumbing.contracts.cases import CaseState
from services.plumbing.contracts.common import Direction, Priority, UtcTime
from services.plumbing.contracts.tweets import Sentiment, Topic
from services.plumbing.text.search import full_text_query

Target = Literal["tweets", "cases"]
Value = Annotated[str, Field(min_length=1, max_length=100)]
MAX_VALUES = 50
"""The most values one filter takes."""
Sort = Literal["relevance", "newest", "oldest"]


class SearchRequest(Frozen):
    """A search of tweets or cases. Filters a target does not have are refused (e.g. ``state``
    on tweets, ``complaint`` on cases). ``author`` is the author's (or customer's) handle;
    ``since``/``until`` bound ``created_at`` (tweets) or ``opened_at`` (cases), until exclusive.
    Full text searches the tweet text, or for cases the customer's name and description."""

    target: Target = "tweets"
    text: str | None = Field(default=None, max_length=500)
    brand: list[Value] = Field(default_factory=list, max_length=MAX_VALUES)
    handle: list[Value] = Field(default_factory=list, max_length=MAX_VALUES)
    queue: list[Value] = Field(default_factory=list, max_length=MAX_VALUES)
    topic: list[Topic] = Field(default_factory=list, max_length=MAX_VALUES)
    complaint: bool | None = None
    sentiment: list[Sentiment] = Field(default_factory=list, max_length=MAX_VALUES)
    lang: list[Value] = Field(default_factory=list, max_length=MAX_VALUES)
    priority: list[Priority] = Field(default_factory=list, max_length=MAX_VALUES)
    state: list[CaseState] = Field(default_factory=list, max_length=MAX_VALUES)
    author: list[Value] = Field(default_factory=list, max_length=MAX_VALUES)
    direction: Direction | None = None
    needs_reply: bool | None = None
    since: UtcTime | None = None
    until: UtcTime | None = None
    sort: Sort = "newest"
    size: int = Field(default=20, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR)
    facets: list[Value] | None = Field(
        default=None, max_length=20, description="None: the target's defaults"
    )


class FacetBucket(Frozen):
    value: str
    count: int


class SearchPage(Frozen):
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
            filters.append(terms(fields[name], value))
        else:
            filters.append({"term": {fields[name]: getattr(value, "value", value)}})
    if request.since or request.until:
        bounds: dict[str, str] = {}
        if request.since:
            bounds["gte"] = request.since.isoformat()
        if request.until:
            bounds["lt"] = request.until.isoformat()
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


async def search(
    es: AsyncElasticsearch, prefix: str, request: SearchRequest, *, key: bytes
) -> SearchPage:
    """One page of tweets or cases matching ``request``, with its total and facet counts;
    cursors are signed with ``key``."""
    scope = f"search:{request.target}:{request.sort}"
    response = await es.search(
        index=search_index(prefix, request),
        query=search_query(request),
        sort=search_sort(request),
        size=request.size + 1,
        search_after=decode_cursor(request.cursor, scope, key=key) if request.cursor else None,
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
        next_cursor=next_cursor(scope, hits, request.size, key=key),
    )
