"""Who is asking, and may they: bearer tokens mapped to roles.

Roles nest: a supervisor may do what an agent may, an admin what a supervisor may. An integrator
reads only, statistics included (agents do not see statistics).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from services.api.errors import ForbiddenError, UnauthenticatedError
from services.api.state import Shared
from services.api.tokens import TokenRecord
from services.plumbing.contracts.actions import Actor, Role

READ = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATOR})
ACT = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
SUPERVISE = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMINISTER = frozenset({Role.ADMIN})
ANALYSE = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.INTEGRATOR})


def bearer(request: Request) -> str | None:
    """The token of a request: ``Authorization: Bearer``, never the URL (a browser's
    EventSource, which cannot set headers, carries a stream ticket instead)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def admit(state: Shared, record: TokenRecord | None, roles: frozenset[Role]) -> Actor:
    """Who ``record`` speaks for: 401 when there is none (unknown or revoked), 429 when the
    token is over its rate (:class:`~services.api.limits.RateLimiter`), 403 for a role
    outside ``roles``."""
    if record is None:
        raise UnauthenticatedError("invalid_token", "the token is unknown or revoked")
    state.limiter.check(record.id, state.clock.monotonic())
    if record.role not in roles:
        raise ForbiddenError(
            "forbidden_role", f"role {record.role.value} may not do this",
            allowed=sorted(r.value for r in roles),
        )  # fmt: skip
    return actor_of(record)


def actor_of(record: TokenRecord) -> Actor:
    return Actor(id=record.id, name=record.name, role=record.role)


def require(roles: frozenset[Role]) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency answering 401 without a valid token, else as :func:`admit`."""

    async def dependency(request: Request) -> Actor:
        token = bearer(request)
        if token is None:
            raise UnauthenticatedError("missing_token", "send Authorization: Bearer <token>")
        state: Shared = request.app.state.shared
        return admit(state, await state.tokens.lookup(token), roles)

    return dependency
