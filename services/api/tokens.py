"""Bearer tokens with roles, stored hashed in Elasticsearch (``<prefix>-tokens``).

A token is shown once, when created; only its SHA-256 is kept, so a leaked index leaks no token.
Lookups are cached for a few seconds; a revoked token stops working within that time. Times
(``created_at``, ``revoked_at``, the cache's age) come from the store's :class:`Clock`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from services.api.readmodel.indices import TOKENS, create_index, index_name
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.contracts.actions import Role

TOKEN_PREFIX = "tc_"  # noqa: S105 - a marker, not a secret
GRANTED_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATOR)


def new_token() -> str:
    """A fresh random token (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenRecord:
    """Who a token speaks for. ``id`` is public (the first 12 hex digits of the hash)."""

    id: str
    name: str
    role: Role
    created_at: str
    revoked_at: str | None = None

    def doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TokenRecord:
        return cls(doc["id"], doc["name"], Role(doc["role"]), doc["created_at"], doc["revoked_at"])


class TokenStore:
    """Create, list, revoke and look up tokens."""

    def __init__(
        self,
        es: AsyncElasticsearch,
        prefix: str,
        *,
        cache_s: float = 5.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._es = es
        self._prefix = prefix
        self._ready = False
        self.index = index_name(prefix, TOKENS)
        self._cache_s = cache_s
        self._clock = clock
        self._cache: dict[str, tuple[float, TokenRecord | None]] = {}

    async def create(self, name: str, role: Role) -> tuple[str, TokenRecord]:
        """A new token for ``name`` with ``role``; the token itself is returned once, here."""
        if role not in GRANTED_ROLES:
            raise ValueError(f"role must be one of {', '.join(r.value for r in GRANTED_ROLES)}")
        if not self._ready:  # with its explicit mapping, before the first write
            await create_index(self._es, self._prefix, TOKENS)
            self._ready = True
        token = new_token()
        hashed = token_hash(token)
        at = self._clock.now().isoformat()
        record = TokenRecord(hashed[:12], name, role, at)
        await self._es.index(
            index=self.index, id=hashed, document={**record.doc(), "hash": hashed}, refresh=True
        )
        return token, record

    async def list(self) -> list[TokenRecord]:
        found = await self._es.options(ignore_status=404).search(
            index=self.index, size=1000, sort=[{"created_at": "asc"}],
            query={"match_all": {}},
        )  # fmt: skip
        hits = found.get("hits", {}).get("hits", [])
        return [TokenRecord.from_doc(h["_source"]) for h in hits]

    async def revoke(self, token_id: str) -> TokenRecord | None:
        """Revoke the token whose public id is ``token_id``; None when there is none."""
        found = await self._es.options(ignore_status=404).search(
            index=self.index, size=1, query={"term": {"id": token_id}}
        )
        hits = found.get("hits", {}).get("hits", [])
        if not hits:
            return None
        at = self._clock.now().isoformat()
        await self._es.update(
            index=self.index, id=hits[0]["_id"], doc={"revoked_at": at}, refresh=True
        )
        self._cache.clear()
        return TokenRecord.from_doc({**hits[0]["_source"], "revoked_at": at})

    async def lookup(self, token: str) -> TokenRecord | None:
        """The live record of ``token``; None when unknown or revoked."""
        return await self.lookup_hash(token_hash(token))

    async def lookup_hash(self, hashed: str) -> TokenRecord | None:
        """The live record of the token whose SHA-256 is ``hashed``; None when unknown or
        revoked."""
        now = self._clock.monotonic()
        cached = self._cache.get(hashed)
        if cached is not None and now - cached[0] < self._cache_s:
            return cached[1]
        try:
            got = await self._es.get(index=self.index, id=hashed)
            record: TokenRecord | None = TokenRecord.from_doc(got["_source"])
        except NotFoundError:
            record = None
        if record is not None and record.revoked_at is not None:
            record = None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[hashed] = (now, record)
        return record
