"""Reading one case: its view with thread and history, its indexed snapshot, its personal data.

Raises :class:`~services.api.errors.CaseNotFoundError` for a case the read model does not have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError
from pydantic import Field

from services.api.cases.by_hand import verdict_of
from services.api.cases.view import CaseView, case_view
from services.api.errors import CaseNotFoundError
from services.api.errors import NotFoundError as DomainNotFound
from services.api.readmodel.documents import case_of
from services.api.readmodel.indices import CASE_EVENTS, CASES, TWEETS, index_name
from services.api.readmodel.querying import Frozen
from services.plumbing.contracts.actions import Verdict
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


async def tweet_document(es: AsyncElasticsearch, prefix: str, tweet_id: str) -> dict[str, Any]:
    """The tweet's document; raises :class:`~services.api.errors.NotFoundError`
    (``tweet_not_found``) when the read model does not hold it."""
    found = await es.options(ignore_status=404).get(index=index_name(prefix, TWEETS), id=tweet_id)
    if not found.body.get("found"):
        raise DomainNotFound("tweet_not_found", f"there is no tweet {tweet_id}", tweet_id=tweet_id)
    doc: dict[str, Any] = found["_source"]
    return doc


async def triage_verdict(es: AsyncElasticsearch, prefix: str, tweet_id: str) -> Verdict | None:
    """What triage said of a tweet (None when the read model does not hold it yet)."""
    try:
        return verdict_of(await tweet_document(es, prefix, tweet_id))
    except DomainNotFound:
        return None


async def case_of_tweet(
    es: AsyncElasticsearch, prefix: str, tweet_id: str
) -> tuple[int, Case] | None:
    """The newest case whose thread holds the tweet, and its version; None when none does."""
    found = await es.search(
        index=index_name(prefix, CASES), query={"term": {"tweet_ids": tweet_id}},
        sort=[{"opened_at": "desc"}], size=1,
    )  # fmt: skip
    hits = found["hits"]["hits"]
    if not hits:
        return None
    return int(hits[0]["_source"]["case_version"]), case_of(hits[0]["_source"])
