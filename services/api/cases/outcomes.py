"""Sending an action and answering with its outcome.

The API never changes a case itself: the SLA service applies or rejects each action in partition
order and says so on ``cases.events`` with the action's id. Applied → 200 with the case (and the
outcome's code: ``ok``, ``repeat``, ``already_open``), rejected → 409 with the SLA service's code
(403 for ``forbidden_role``), no outcome within the timeout → 202 with the id to poll. An action
whose outcome is known already (a keyed reply sent again) is answered with it and not sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from services.api.live.feed import LiveFeed
from services.plumbing.contracts.actions import AgentAction
from services.plumbing.contracts.cases import CaseEvent

Send = Callable[[AgentAction], Awaitable[None]]


async def submit(
    feed: LiveFeed, send: Send, action: AgentAction, timeout_s: float
) -> tuple[int, dict[str, Any]]:
    """Send ``action`` and wait for its outcome: (status code, body)."""
    known = feed.outcome(action.event_id)
    if known is not None:
        return answer(known)
    waiting = feed.expect(action.event_id)
    try:
        await send(action)
        event = await asyncio.wait_for(asyncio.shield(waiting), timeout_s)
    except TimeoutError:
        return 202, pending(action.event_id)
    finally:
        feed.forget(action.event_id)
    return answer(event)


def pending(action_id: str) -> dict[str, Any]:
    return {"status": "pending", "action_id": action_id, "poll": f"/v1/actions/{action_id}"}


def answer(event: CaseEvent) -> tuple[int, dict[str, Any]]:
    """The HTTP answer to an outcome event."""
    outcome = event.outcome
    assert outcome is not None
    if outcome.status == "rejected":
        return 403 if outcome.code == "forbidden_role" else 409, {
            "error": {
                "code": outcome.code,
                "message": outcome.reason,
                "action_id": outcome.action_id,
            },
            "case": event.case.model_dump(mode="json"),
        }
    return 200, {
        "status": "applied",
        "code": outcome.code,
        "action_id": outcome.action_id,
        "event_id": event.event_id,
        "case_version": event.case_version,
        "case": event.case.model_dump(mode="json"),
    }
