"""Small documents the API owns itself — canned replies, saved searches — kept in Elasticsearch.

They are settings, not case state: the one writer of cases stays the SLA service.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch, NotFoundError
from pydantic import BaseModel, ConfigDict, Field

from services.api.replies import VARIABLES, ReplyError, render


class CannedIn(BaseModel):
    """A canned reply as written by a supervisor; ``{variables}`` from :data:`VARIABLES`."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    lang: Literal["en", "ja"] | str = Field(
        min_length=2, max_length=8, pattern=r"^[a-z]{2}(-[A-Za-z]+)?$"
    )
    text: str = Field(min_length=1, max_length=1_000)
    queue: str | None = Field(default=None, max_length=64)

    def check(self) -> None:
        """Raise :class:`ReplyError` when the text names an unknown variable."""
        render(self.text, dict.fromkeys(VARIABLES, "x"))


class SavedSearchIn(BaseModel):
    """A saved search (the "search folder" of Japanese tools): a name and the search body."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    search: dict[str, Any]


class DocStore:
    """CRUD over one index of small documents with generated ids."""

    def __init__(self, es: AsyncElasticsearch, index: str) -> None:
        self._es = es
        self.index = index

    async def create(self, doc: dict[str, Any], by: str) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat()
        full = {**doc, "id": secrets.token_hex(8), "created_by": by, "updated_at": now}
        await self._es.index(index=self.index, id=full["id"], document=full, refresh=True)
        return full

    async def list(self, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        terms = [{"term": {k: v}} for k, v in (filters or {}).items()]
        found = await self._es.options(ignore_status=404).search(
            index=self.index, size=1000, query={"bool": {"filter": terms}},
            sort=[{"updated_at": "desc"}],
        )  # fmt: skip
        return [h["_source"] for h in found.get("hits", {}).get("hits", [])]

    async def get(self, doc_id: str) -> dict[str, Any] | None:
        try:
            got = await self._es.get(index=self.index, id=doc_id)
        except NotFoundError:
            return None
        source: dict[str, Any] = got["_source"]
        return source

    async def replace(self, doc_id: str, doc: dict[str, Any], by: str) -> dict[str, Any] | None:
        old = await self.get(doc_id)
        if old is None:
            return None
        now = datetime.now(UTC).isoformat()
        full = {**doc, "id": doc_id, "created_by": old["created_by"], "updated_by": by,
                "updated_at": now}  # fmt: skip
        await self._es.index(index=self.index, id=doc_id, document=full, refresh=True)
        return full

    async def delete(self, doc_id: str) -> bool:
        try:
            await self._es.delete(index=self.index, id=doc_id, refresh=True)
        except NotFoundError:
            return False
        return True


__all__ = ["CannedIn", "DocStore", "ReplyError", "SavedSearchIn"]
