"""``/v1/cases/{case_id}/<action>`` and ``/v1/actions/{action_id}``."""

from __future__ import annotations

import inspect
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.api import actions as act
from services.api.auth import ACT, READ, SUPERVISE, require
from services.api.errors import ApiError
from services.api.state import Shared, shared
from services.plumbing.contracts.actions import Actor, AgentAction
from services.plumbing.contracts.cases import Case

router = APIRouter(prefix="/v1", tags=["actions"])
CaseId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_.:\-]{1,64}$")]
ActionId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_.:\-]{1,64}$")]
AgentActor = Annotated[Actor, Depends(require(ACT))]
Supervisor = Annotated[Actor, Depends(require(SUPERVISE))]
Reader = Annotated[Actor, Depends(require(READ))]
State = Annotated[Shared, Depends(shared)]


async def _case(state: Shared, case_id: str) -> Case:
    case = await state.load_case(case_id)
    if case is None:
        raise ApiError(404, "case_not_found", f"no case {case_id}")
    return case


async def _submit(
    state: Shared, kind: str, action: AgentAction, extra: dict[str, Any] | None = None
) -> JSONResponse:
    started = time.monotonic()
    status, body = await act.submit(
        state.feed, state.send_action, action, state.settings.api_action_timeout_s
    )
    answer = {200: "applied", 409: "rejected"}.get(status, "pending")
    state.metrics.actions.labels(kind, answer).inc()
    if status != 202:
        state.metrics.action_wait.observe(time.monotonic() - started)
    return JSONResponse({**body, **(extra or {})}, status_code=status)


def _simple(kind: str, body_type: type[BaseModel], who: Any, summary: str) -> None:
    async def route(case_id: str, body: BaseModel, actor: Actor, state: Shared) -> JSONResponse:
        case = await _case(state, case_id)
        action = act.simple(kind, case, actor, body, act.now_utc())
        return await _submit(state, kind, action)

    # The body type differs per action: give FastAPI the signature it reads, per route.
    param = inspect.Parameter
    route.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            param("case_id", param.POSITIONAL_OR_KEYWORD, annotation=CaseId),
            param("body", param.POSITIONAL_OR_KEYWORD, annotation=body_type),
            param("actor", param.POSITIONAL_OR_KEYWORD, annotation=who),
            param("state", param.POSITIONAL_OR_KEYWORD, annotation=State),
        ],
        return_annotation=JSONResponse,
    )
    router.add_api_route(
        f"/cases/{{case_id}}/{kind}", route, methods=["POST"], summary=summary,
        name=f"action_{kind.replace('-', '_')}",
        responses={409: {"description": "rejected, with a stable code"},
                   202: {"description": "no outcome yet: poll /v1/actions/{id}"}},
    )  # fmt: skip


_simple("claim", act.Empty, AgentActor, "Claim the case (first claim wins)")
_simple("release", act.Empty, AgentActor, "Release a claimed case")
_simple("resolve", act.Empty, AgentActor, "Resolve the case")
_simple("no-reply", act.NoReplyBody, AgentActor, "Close without reply (対応しない)")
_simple("spam", act.Empty, AgentActor, "Mark the case as spam")
_simple("tag", act.TagBody, AgentActor, "Add or remove tags")
_simple("note", act.NoteBody, AgentActor, "Add an internal note")
_simple("reopen", act.Empty, Supervisor, "Reopen a resolved or closed case")
_simple("transfer", act.TransferBody, Supervisor, "Move the case to another queue")
_simple("priority", act.PriorityBody, Supervisor, "Set the case's priority")


@router.post("/cases/{case_id}/reply", summary="Reply (public or DM; a DM case only by DM)")
async def reply(
    case_id: CaseId, body: act.ReplyBody, actor: AgentActor, state: State
) -> JSONResponse:
    case = await _case(state, case_id)
    canned_text = None
    if body.canned_id is not None:
        canned = await state.canned.get(body.canned_id)
        if canned is None:
            raise ApiError(404, "canned_not_found", f"no canned reply {body.canned_id}")
        canned_text = str(canned["text"])
    thread_pii = await _thread_has_pii(state, case)
    action, warnings = act.reply(case, actor, body, canned_text, act.now_utc(), thread_pii)
    return await _submit(state, "reply", action, {"warnings": warnings, "text": action.text})


async def _thread_has_pii(state: Shared, case: Case) -> bool:
    ids = [t.id for t in case.thread if t.kind == "tweet"]
    if not ids:
        return False
    found = await state.es.options(ignore_status=404).count(
        index=f"{state.prefix}-tweets",
        query={"bool": {"filter": [{"ids": {"values": ids}}, {"exists": {"field": "pii"}}]}},
    )
    return int(found.get("count", 0)) > 0


@router.get("/actions/{action_id}", summary="The outcome of an action answered 202")
async def action_outcome(action_id: ActionId, _: Reader, state: State) -> JSONResponse:
    event = state.feed.outcome(action_id)
    if event is None:
        return JSONResponse(act.pending(action_id), status_code=202)
    status, body = act.answer(event)
    return JSONResponse(body, status_code=status)
