"""Small documents the API owns itself — canned replies, saved searches — kept in Elasticsearch.

They are settings, not case state: the one writer of cases stays the SLA service.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError

from services.api.readmodel.indices import create_index, index_name
from services.plumbing.clock import SYSTEM_CLOCK, Clock

T = TypeVar("T")
STARTING_S = 10.0
"""How long a read waits out an index whose shard is not started yet (503)."""


async def _when_started(read: Callable[[], Awaitable[T]], *, within_s: float = STARTING_S) -> T:
    """``read()``, again every 100 ms while Elasticsearch answers 503 because the index's shard
    has not started, for at most ``within_s``. Another process (the API at its start, while the
    demo seeds its canned replies) may have created the index a moment ago: waiting for yellow
    health after "already exists" still let a search through to a shard that had not started."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        try:
            return await read()
        except ApiError as exc:
            if exc.meta.status != 503 or loop.time() >= deadline:
                raise
        await asyncio.sleep(0.1)


class DocStore:
    """CRUD over one index of small documents with generated ids; ``updated_at`` is the time
    of ``clock`` when a document is written. The index (``<prefix>-<kind>``) is created with
    its explicit mapping (:data:`~services.api.readmodel.indices.OWN_MAPPINGS`) before the
    first write, so a write never maps a field by itself."""

    def __init__(
        self, es: AsyncElasticsearch, prefix: str, kind: str, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self._es = es
        self._clock = clock
        self._prefix = prefix
        self._kind = kind
        self._ready = False
        self.index = index_name(prefix, kind)

    async def _ensure(self) -> None:
        if not self._ready:
            await create_index(self._es, self._prefix, self._kind)
            self._ready = True

    async def create(self, doc: dict[str, Any], by: str) -> dict[str, Any]:
        await self._ensure()
        full = {**doc, "id": secrets.token_hex(8), "created_by": by,
                "updated_at": self._clock.now().isoformat()}  # fmt: skip
        await self._es.index(index=self.index, id=full["id"], document=full, refresh=True)
        return full

    async def list(self, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        await self._ensure()  # (another process may have just created it: wait until it answers)
        terms = [{"term": {k: v}} for k, v in (filters or {}).items()]
        found = await _when_started(lambda: self._es.options(ignore_status=404).search(
            index=self.index, size=1000, query={"bool": {"filter": terms}},
            sort=[{"updated_at": "desc"}],
        ))  # fmt: skip
        return [h["_source"] for h in found.get("hits", {}).get("hits", [])]

    async def get(self, doc_id: str) -> dict[str, Any] | None:
        await self._ensure()
        try:
            got = await _when_started(lambda: self._es.get(index=self.index, id=doc_id))
        except NotFoundError:
            return None
        source: dict[str, Any] = got["_source"]
        return source

    async def replace(self, doc_id: str, doc: dict[str, Any], by: str) -> dict[str, Any] | None:
        old = await self.get(doc_id)
        if old is None:
            return None
        await self._ensure()
        full = {**doc, "id": doc_id, "created_by": old["created_by"], "updated_by": by,
                "updated_at": self._clock.now().isoformat()}  # fmt: skip
        await self._es.index(index=self.index, id=doc_id, document=full, refresh=True)
        return full

    async def delete(self, doc_id: str) -> bool:
        try:
            await self._es.delete(index=self.index, id=doc_id, refresh=True)
        except NotFoundError:
            return False
        return True
