"""A case as the queues and the case page show it: the case document read at ``now``.

The console derives the same fields from a live case event (``console/static/mirror.js``);
``tests/unit/api/test_console_agrees.py`` holds both to one table of cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from services.api.readmodel.documents import case_of
from services.api.readmodel.querying import Frozen
from services.plumbing.contracts.cases import Case
from services.plumbing.contracts.common import UtcTime


class CaseView(Frozen):
    """A case as the queues show it; seconds are relative to the ``now`` of the query."""

    case: Case
    case_version: int
    open: bool
    next_due_at: UtcTime | None
    breached: bool
    warned: bool
    first_response_seconds: float | None
    seconds_left: float | None = Field(description="Until next_due_at; negative when overdue")
    age_seconds: float = Field(description="Since the case opened")


def case_view(doc: dict[str, Any], now: datetime) -> CaseView:
    """A case document (``_source``) as a :class:`CaseView` at ``now``."""
    case = case_of(doc)
    due = datetime.fromisoformat(doc["next_due_at"]) if doc.get("next_due_at") else None
    return CaseView(
        case=case,
        case_version=doc["case_version"],
        open=doc["open"],
        next_due_at=due,
        breached=doc["breached"],
        warned=doc["warned"],
        first_response_seconds=doc.get("first_response_seconds"),
        seconds_left=(due - now).total_seconds() if due else None,
        age_seconds=(now - case.opened_at).total_seconds(),
    )
