"""Who is asking, and may they: bearer tokens mapped to roles.

Roles nest: a supervisor may do what an agent may, an admin what a supervisor may. An integrator
reads only, statistics included (agents do not see statistics).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from services.api.errors import ForbiddenError, UnauthenticatedError
from services.api.state import Shared
from services.api.tokens import TokenRecord, TokenStore
from services.plumbing.contracts.actions import Actor, Role

READ = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATOR})
ACT = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
SUPERVISE = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMINISTER = frozenset({Role.ADMIN})
ANALYSE = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATOR})


def bearer(request: Request) -> str | None:
    """The token of a request: ``Authorization: Bearer``, or ``access_token`` on the live stream
    (browsers' EventSource cannot set headers)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.url.path.endswith("/stream"):
        return request.query_params.get("access_token")
    return None


def actor_of(record: TokenRecord) -> Actor:
    return Actor(id=record.id, name=record.name, role=record.role)


def require(roles: frozenset[Role]) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency answering 401 without a valid token, 429 when the token is over its rate
    (:class:`~services.api.limits.RateLimiter`) and 403 for a role outside ``roles``."""

    async def dependency(request: Request) -> Actor:
        token = bearer(request)
        if token is None:
            raise UnauthenticatedError("missing_token", "send Authorization: Bearer <token>")
        store: TokenStore = request.app.state.tokens
        record = await store.lookup(token)
        if record is None:
            raise UnauthenticatedError("invalid_token", "the token is unknown or revoked")
        state: Shared = request.app.state.shared
        state.limiter.check(record.id, state.clock.monotonic())
        if record.role not in roles:
            raise ForbiddenError(
                "forbidden_role", f"role {record.role.value} may not do this",
                allowed=sorted(r.value for r in roles),
            )  # fmt: skip
        return actor_of(record)

    return dependency
