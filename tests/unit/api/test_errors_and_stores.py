"""The API's domain errors map to one status each; the token and document stores take their
time from the clock they are given."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elastic_transport import ConnectionError as EsConnectionError
from elastic_transport import ConnectionTimeout as EsConnectionTimeout
from elasticsearch import ApiError
from elasticsearch import NotFoundError as EsNotFoundError

from services.api.cases.replies import ReplyError
from services.api.error_handlers import from_elasticsearch, respond, status_of
from services.api.errors import (
    CannedNotFoundError,
    CaseNotFoundError,
    ConflictError,
    ForbiddenError,
    InvalidCursorError,
    InvalidInputError,
    InvalidSearchError,
    UnauthenticatedError,
)
from services.api.stored import DocStore
from services.api.tokens import TokenStore, token_hash
from services.plumbing.clock import FakeClock
from services.plumbing.contracts.actions import Role

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (UnauthenticatedError("missing_token", "send a token"), 401, "missing_token"),
        (ForbiddenError("forbidden_role", "no"), 403, "forbidden_role"),
        (CaseNotFoundError("c-1"), 404, "case_not_found"),
        (CannedNotFoundError("ab12"), 404, "canned_not_found"),
        (InvalidCursorError("not a cursor"), 400, "invalid_cursor"),
        (InvalidSearchError("tweets cannot be filtered by state"), 400, "invalid_search"),
        (ConflictError("dm_case_public_reply", "by DM only"), 409, "dm_case_public_reply"),
        (InvalidInputError("reply_text_required", "text or canned_id"), 422, "reply_text_required"),
        (ReplyError("reply_too_long", "too long"), 422, "reply_too_long"),
    ],
)
def test_each_domain_error_has_one_status_and_its_code(
    error: InvalidInputError, status: int, code: str
) -> None:
    assert (status_of(error), error.code) == (status, code)


class FakeEs:
    """The few Elasticsearch calls the stores make, over a dict; counts ``get`` calls."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.gets = 0
        self.indices = self
        self.cluster = self
        self.created: list[str] = []

    async def create(self, *, index: str, **_: Any) -> None:
        self.created.append(index)

    async def health(self, **_: Any) -> dict[str, Any]:
        return {"status": "green"}

    async def index(self, *, index: str, id: str, document: dict[str, Any], refresh: bool) -> None:
        self.docs[id] = document

    async def get(self, *, index: str, id: str) -> dict[str, Any]:
        self.gets += 1
        if id not in self.docs:
            raise EsNotFoundError("not found", meta=None, body={})
        return {"_source": self.docs[id]}

    async def update(self, *, index: str, id: str, doc: dict[str, Any], refresh: bool) -> None:
        self.docs[id] = {**self.docs[id], **doc}

    def options(self, **_: Any) -> FakeEs:
        return self

    async def search(self, *, index: str, size: int, query: dict[str, Any], **_: Any) -> Any:
        wanted = query.get("term", {}).get("id")
        hits = [{"_id": k, "_source": v} for k, v in self.docs.items() if v.get("id") == wanted]
        return {"hits": {"hits": hits[:size]}}


def test_tokens_are_stamped_by_the_clock_and_lookups_cached_for_its_seconds() -> None:
    asyncio.run(_tokens())


async def _tokens() -> None:
    es, clock = FakeEs(), FakeClock(T0)
    store = TokenStore(es, "t", cache_s=5.0, clock=clock)
    token, record = await store.create("Aiko", Role.AGENT)
    assert record.created_at == T0.isoformat()
    assert await store.lookup(token) == record
    clock.advance(4.9)
    assert await store.lookup(token) == record
    assert es.gets == 1  # the second lookup came from the cache
    await TokenStore(es, "t", clock=clock).revoke(record.id)
    assert es.docs[token_hash(token)]["revoked_at"] == (T0 + timedelta(seconds=4.9)).isoformat()
    assert await store.lookup(token) == record  # still cached: revocation takes up to cache_s
    clock.advance(0.2)
    assert await store.lookup(token) is None


def test_small_documents_are_stamped_by_the_clock() -> None:
    asyncio.run(_documents())


async def _documents() -> None:
    es, clock = FakeEs(), FakeClock(T0)
    store = DocStore(es, "t", "canned", clock=clock)
    made = await store.create({"name": "Sorry"}, "sup-1")
    assert made["updated_at"] == T0.isoformat()
    clock.advance(60)
    edited = await store.replace(made["id"], {"name": "Sorry!"}, "sup-2")
    assert edited is not None
    assert (edited["created_by"], edited["updated_by"]) == ("sup-1", "sup-2")
    assert edited["updated_at"] == (T0 + timedelta(minutes=1)).isoformat()
    assert es.created == ["t-canned"]  # with its mapping, once, before the first write


def _api_error(status: int, kind: str) -> ApiError:
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.01, NodeConfig("http", "es", 9200))
    return ApiError(kind, meta, {"error": {"type": kind, "reason": "..."}, "status": status})


@pytest.mark.parametrize(
    ("error", "status", "code", "retry_after"),
    [
        (EsConnectionError("refused"), 503, "elasticsearch_unavailable", "5"),
        (EsConnectionTimeout("timed out"), 503, "elasticsearch_unavailable", "5"),
        (
            _api_error(503, "search_phase_execution_exception"),
            503,
            "elasticsearch_unavailable",
            "5",
        ),
        (_api_error(429, "es_rejected_execution_exception"), 503, "elasticsearch_unavailable", "5"),
        (_api_error(400, "too_many_buckets_exception"), 400, "too_many_buckets", None),
        (_api_error(503, "too_many_buckets_exception"), 400, "too_many_buckets", None),
    ],
)
def test_elasticsearch_failures_answer_as_domain_errors(
    error: Exception, status: int, code: str, retry_after: str | None
) -> None:
    domain = from_elasticsearch(error)
    assert domain is not None
    assert (status_of(domain), domain.code) == (status, code)
    assert respond(domain).headers.get("retry-after") == retry_after


def test_other_elasticsearch_errors_stay_internal() -> None:
    assert from_elasticsearch(_api_error(400, "mapper_parsing_exception")) is None
