"""Tokens (admin), canned replies (supervisors write, agents read), saved searches (per user)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from services.api.auth import ACT, ADMINISTER, READ, SUPERVISE, require
from services.api.errors import ApiError
from services.api.replies import ReplyError
from services.api.state import Shared, shared
from services.api.stored import CannedIn, SavedSearchIn
from services.api.tokens import GRANTED_ROLES
from services.plumbing.contracts.actions import Actor, Role

router = APIRouter(prefix="/v1")
DocId = Annotated[str, Path(pattern=r"^[0-9a-f]{1,32}$")]
State = Annotated[Shared, Depends(shared)]
Admin = Annotated[Actor, Depends(require(ADMINISTER))]
Supervisor = Annotated[Actor, Depends(require(SUPERVISE))]
Agent = Annotated[Actor, Depends(require(ACT))]
Reader = Annotated[Actor, Depends(require(READ))]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    role: Role


@router.get("/tokens", tags=["admin"], summary="List tokens (never the tokens themselves)")
async def list_tokens(_: Admin, state: State) -> list[dict[str, Any]]:
    return [r.doc() for r in await state.tokens.list()]


@router.post("/tokens", tags=["admin"], status_code=201, summary="Create a token (shown once)")
async def create_token(body: TokenIn, _: Admin, state: State) -> dict[str, Any]:
    if body.role not in GRANTED_ROLES:
        raise ApiError(422, "invalid_role", "role must be agent, supervisor, admin or integrator")
    token, record = await state.tokens.create(body.name, body.role)
    return {**record.doc(), "token": token}


@router.delete("/tokens/{token_id}", tags=["admin"], summary="Revoke a token")
async def revoke_token(token_id: DocId, _: Admin, state: State) -> dict[str, Any]:
    record = await state.tokens.revoke(token_id)
    if record is None:
        raise ApiError(404, "token_not_found", f"no token {token_id}")
    return record.doc()


def _checked(body: CannedIn) -> dict[str, Any]:
    try:
        body.check()
    except ReplyError as exc:
        raise ApiError(422, exc.code, str(exc)) from exc
    return body.model_dump()


@router.get("/canned-replies", tags=["canned replies"], summary="Canned replies, by language")
async def list_canned(
    _: Reader, state: State, lang: Annotated[str | None, Query(max_length=8)] = None
) -> list[dict[str, Any]]:
    return await state.canned.list({"lang": lang} if lang else None)


@router.post("/canned-replies", tags=["canned replies"], status_code=201)
async def create_canned(body: CannedIn, actor: Supervisor, state: State) -> dict[str, Any]:
    return await state.canned.create(_checked(body), actor.id)


@router.put("/canned-replies/{doc_id}", tags=["canned replies"])
async def edit_canned(
    doc_id: DocId, body: CannedIn, actor: Supervisor, state: State
) -> dict[str, Any]:
    done = await state.canned.replace(doc_id, _checked(body), actor.id)
    if done is None:
        raise ApiError(404, "canned_not_found", f"no canned reply {doc_id}")
    return done


@router.delete("/canned-replies/{doc_id}", tags=["canned replies"], status_code=204)
async def delete_canned(doc_id: DocId, _: Supervisor, state: State) -> None:
    if not await state.canned.delete(doc_id):
        raise ApiError(404, "canned_not_found", f"no canned reply {doc_id}")


@router.get("/saved-searches", tags=["search"], summary="My saved searches")
async def list_saved(actor: Reader, state: State) -> list[dict[str, Any]]:
    return await state.saved.list({"created_by": actor.id})


@router.post("/saved-searches", tags=["search"], status_code=201)
async def create_saved(body: SavedSearchIn, actor: Reader, state: State) -> dict[str, Any]:
    return await state.saved.create(body.model_dump(), actor.id)


@router.delete("/saved-searches/{doc_id}", tags=["search"], status_code=204)
async def delete_saved(doc_id: DocId, actor: Reader, state: State) -> None:
    doc = await state.saved.get(doc_id)
    if doc is None or doc.get("created_by") != actor.id:
        raise ApiError(404, "saved_search_not_found", f"no saved search {doc_id} of yours")
    await state.saved.delete(doc_id)


__all__ = ["Agent", "router"]
