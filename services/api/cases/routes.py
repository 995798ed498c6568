"""``/v1/cases/{case_id}`` (the case with its thread and history), its actions
(``/v1/cases/{case_id}/<action>``), ``/v1/tweets/{tweet_id}/case`` (要対応: open a case from a
tweet) and ``/v1/actions/{action_id}`` (an outcome answered late).

Every action is first held to the SLA service's rules on the case as the API sees it
(:func:`services.api.cases.by_hand.refuse_early`: a fast 409/403); what passes is sent, and the
SLA service's answer is the one that holds."""

from __future__ import annotations

import inspect
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.api.brands import service as brands
from services.api.cases import actions as act
from services.api.cases import by_hand, outcomes, service
from services.api.deps import ActionId, Agent, CaseId, Now, Reader, State, Supervisor
from services.api.errors import CannedNotFoundError, NotFoundError
from services.api.state import Shared
from services.plumbing.contracts.actions import Actor, AgentAction
from services.plumbing.contracts.cases import Case

router = APIRouter(prefix="/v1")
_ID = r"^[0-9A-Za-z_.:\-]{1,64}$"
TweetId = Annotated[str, Path(pattern=_ID)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", pattern=_ID, description="The client's key of this reply "
           "(e.g. a UUID), kept until it succeeds: the same key is the same reply, posted once"),
]  # fmt: skip
WITH_TRIAGE = frozenset({"no-reply", "spam"})


@router.get("/cases/{case_id}", tags=["cases"], summary="A case with its thread and history")
async def get_case(case_id: CaseId, _: Reader, state: State, now: Now) -> service.CaseDetail:
    return await service.get_case(state.es, state.prefix, case_id, now)


async def _case(state: Shared, case_id: str) -> Case:
    case = await state.load_case(case_id)
    if case is None:
        raise NotFoundError("case_not_found", f"no case {case_id}")
    return case


async def _submit(
    state: Shared, kind: str, action: AgentAction, extra: dict[str, Any] | None = None
) -> JSONResponse:
    started = time.monotonic()
    status, body = await outcomes.submit(
        state.feed, state.send_action, action, state.settings.api_action_timeout_s
    )
    answer = {200: "applied", 409: "rejected"}.get(status, "pending")
    state.metrics.actions.labels(kind, answer).inc()
    if status != 202:
        state.metrics.action_wait.observe(time.monotonic() - started)
    return JSONResponse({**body, **(extra or {})}, status_code=status)


def _simple(kind: str, body_type: type[BaseModel], who: Any, summary: str) -> None:
    async def route(
        case_id: str, body: BaseModel, actor: Actor, state: Shared, now: Any
    ) -> JSONResponse:
        case = await _case(state, case_id)
        triage = None
        if kind in WITH_TRIAGE:
            triage = await service.triage_verdict(state.es, state.prefix, case.opening_tweet_id)
        action = act.simple(kind, case, actor, body, now, triage)
        by_hand.refuse_early(case, action)
        return await _submit(state, kind, action)

    # The body type differs per action: give FastAPI the signature it reads, per route.
    param = inspect.Parameter
    route.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            param("case_id", param.POSITIONAL_OR_KEYWORD, annotation=CaseId),
            param("body", param.POSITIONAL_OR_KEYWORD, annotation=body_type),
            param("actor", param.POSITIONAL_OR_KEYWORD, annotation=who),
            param("state", param.POSITIONAL_OR_KEYWORD, annotation=State),
            param("now", param.POSITIONAL_OR_KEYWORD, annotation=Now),
        ],
        return_annotation=JSONResponse,
    )
    router.add_api_route(
        f"/cases/{{case_id}}/{kind}", route, methods=["POST"], summary=summary,
        name=f"action_{kind.replace('-', '_')}", tags=["actions"],
        responses={409: {"description": "rejected, with a stable code"},
                   202: {"description": "no outcome yet: poll /v1/actions/{id}"}},
    )  # fmt: skip


_simple("claim", act.Empty, Agent, "Claim the case (first claim wins)")
_simple("release", act.Empty, Agent, "Release a claimed case")
_simple("resolve", act.Empty, Agent, "Resolve the case")
_simple("no-reply", act.NoReplyBody, Agent, "Close without reply (対応しない)")
_simple("spam", act.Empty, Agent, "Mark the case as spam")
_simple("tag", act.TagBody, Agent, "Add or remove tags")
_simple("note", act.NoteBody, Agent, "Add an internal note")
_simple("reopen", act.Empty, Supervisor, "Reopen a resolved or closed case")
_simple("transfer", act.TransferBody, Supervisor, "Move the case to another queue")
_simple("priority", act.PriorityBody, Supervisor, "Set the case's priority")


@router.post(
    "/cases/{case_id}/reply", tags=["actions"],
    summary="Reply (public or DM; a DM case only by DM) from the case's handle or another of "
    "the brand's; claims an unclaimed case",
    responses={422: {"description": "handle_not_of_brand, reply_too_long, pii_in_public_reply, "
                     "..."}, 409: {"description": "claimed_by_other, dm_case_public_reply, "
                     "dm_other_handle, ..."}},
)  # fmt: skip
async def reply(
    case_id: CaseId, body: act.ReplyBody, actor: Agent, state: State, now: Now,
    key: IdempotencyKey = None,
) -> JSONResponse:  # fmt: skip
    if key is not None:
        known = state.feed.outcome(act.keyed_ids(case_id, key)[0])
        if known is not None:  # a retry of a reply answered already: its answer, not resent
            status, answered = outcomes.answer(known)
            return JSONResponse(answered, status_code=status)
    case = await _case(state, case_id)
    canned_text = None
    if body.canned_id is not None:
        canned = await state.canned.get(body.canned_id)
        if canned is None:
            raise CannedNotFoundError(body.canned_id)
        canned_text = str(canned["text"])
    pii = await service.thread_has_pii(state.es, state.prefix, case)
    handles: list[str] = []
    if act.needs_handles(case, body):  # another handle than the case's: is it the brand's?
        of_brand = await brands.brand_handles(state.es, state.prefix, case.brand)
        handles = [h.handle for h in of_brand.handles]
    action, warnings = act.reply(case, actor, body, canned_text, now, pii, key, handles)
    by_hand.refuse_early(case, action)
    return await _submit(state, "reply", action, {"warnings": warnings, "text": action.text})


@router.post(
    "/cases/{case_id}/correct", tags=["actions"],
    summary="Correct triage: topic, sentiment, needs-reply, spam (no reply needed or spam closes)",
)  # fmt: skip
async def correct(
    case_id: CaseId, body: by_hand.CorrectBody, actor: Agent, state: State, now: Now
) -> JSONResponse:
    case = await _case(state, case_id)
    triage = await service.triage_verdict(state.es, state.prefix, case.opening_tweet_id)
    action = by_hand.correct(case, actor, body, triage, now)
    by_hand.refuse_early(case, action)
    return await _submit(state, "correct", action)


@router.post(
    "/tweets/{tweet_id}/case", tags=["actions"],
    summary="Open a case from a tweet (要対応); the tweet's case when it has one",
    responses={404: {"description": "tweet_not_found"}, 409: {"description": "brand_tweet"}},
)  # fmt: skip
async def open_case(
    tweet_id: TweetId, body: by_hand.OpenBody, actor: Agent, state: State, now: Now
) -> JSONResponse:
    doc = await service.tweet_document(state.es, state.prefix, tweet_id)
    existing = await service.case_of_tweet(state.es, state.prefix, tweet_id)
    if existing is not None:
        version, case = existing
        return JSONResponse(
            {"status": "applied", "code": "already_open", "action_id": None,
             "case_version": version, "case": case.model_dump(mode="json")}
        )  # fmt: skip
    return await _submit(state, "open", by_hand.open_case(doc, actor, body, now))


@router.get(
    "/actions/{action_id}", tags=["actions"], summary="The outcome of an action answered 202"
)
async def action_outcome(action_id: ActionId, _: Reader, state: State) -> JSONResponse:
    event = state.feed.outcome(action_id)
    if event is None:
        return JSONResponse(outcomes.pending(action_id), status_code=202)
    status, body = outcomes.answer(event)
    return JSONResponse(body, status_code=status)
