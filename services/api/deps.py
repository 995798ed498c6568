"""What routes ask FastAPI for, as ``Annotated`` aliases: the shared state, who is asking (by
role), the time of the request, and the shapes of path and query values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query

from services.api.auth import ACT, ADMINISTER, ANALYSE, READ, SUPERVISE, require
from services.api.state import Shared, shared
from services.plumbing.contracts.actions import Actor


def now(state: Annotated[Shared, Depends(shared)]) -> datetime:
    """The time of the request: read once, at the entry point, from the state's clock."""
    return state.clock.now()


State = Annotated[Shared, Depends(shared)]
Now = Annotated[datetime, Depends(now)]

Reader = Annotated[Actor, Depends(require(READ))]
"""Any valid token: agents, supervisors, admins, integrators."""
Agent = Annotated[Actor, Depends(require(ACT))]
"""Who may act on cases: agents, supervisors, admins."""
Supervisor = Annotated[Actor, Depends(require(SUPERVISE))]
Admin = Annotated[Actor, Depends(require(ADMINISTER))]
Analyst = Annotated[Actor, Depends(require(ANALYSE))]
"""Who may read statistics: supervisors, admins, integrators."""

CaseId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_.:\-]{1,64}$")]
ActionId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_.:\-]{1,64}$")]
QueueName = Annotated[str, Path(pattern=r"^[0-9A-Za-z_.\-]{1,64}$")]
DocId = Annotated[str, Path(pattern=r"^[0-9a-f]{1,32}$")]
"""The id of a token, canned reply or saved search."""
Labels = Annotated[list[Annotated[str, Query(max_length=64)]] | None, Query(max_length=50)]
"""A repeatable query value (``?brand=a&brand=b``), None when absent: ``brand: Labels = None``.
The ``| None`` is inside: FastAPI reads ``Labels | None`` as a JSON body, not the query."""
