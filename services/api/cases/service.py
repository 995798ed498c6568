"""Reading one case: its view with thread and history, its indexed snapshot, its personal data.

Raises :class:`~services.api.errors.CaseNotFoundError` for a case the read model does not have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError
from pydantic import Field

from services.api.cases.view import CaseView, case_view
from services.api.errors import CaseNotFoundError
from services.api.readmodel.documents import case_of
from services.api.readmodel.indices import CASE_EVENTS, CASES, TWEETS, index_name
from services.api.readmodel.querying import Frozen
from services.plumbing.contracts.cases import Case

MAX_EVENTS = 10_000  # of one case's history; Elasticsearch's default result window


class CaseDetail(Frozen):
    case: CaseView
    tweets: list[dict[str, Any]] = Field(description="Tweet documents of the thread, in order")
    missing_tweet_ids: list[str] = Field(description="Thread tweets not indexed (yet)")
    events: list[dict[str, Any]] = Field(description="Case-event documents by case_version")


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


async def indexed_case(
    es: AsyncElasticsearch, prefix: str, case_id: str
) -> tuple[int, Case] | None:
    """The indexed case and its version; None when the index has no such case."""
    try:
        got = await es.get(index=index_name(prefix, CASES), id=case_id)
    except NotFoundError:
        return None
    return int(got["_source"]["case_version"]), case_of(got["_source"])


async def thread_has_pii(es: AsyncElasticsearch, prefix: str, case: Case) -> bool:
    """Whether triage found personal data in any tweet of the case's thread."""
    ids = [t.id for t in case.thread if t.kind == "tweet"]
    if not ids:
        return False
    found = await es.options(ignore_status=404).count(
        index=index_name(prefix, TWEETS),
        query={"bool": {"filter": [{"ids": {"values": ids}}, {"exists": {"field": "pii"}}]}},
    )
    return int(found.get("count", 0)) > 0
