"""Tokens (admin), the caller's identity, canned replies (supervisors write, agents read)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.api.admin.canned import CannedIn
from services.api.deps import Admin, DocId, Reader, State, Supervisor
from services.api.errors import CannedNotFoundError, InvalidInputError, NotFoundError
from services.api.tokens import GRANTED_ROLES
from services.plumbing.contracts.actions import Actor, Role

router = APIRouter(prefix="/v1")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    role: Role


@router.get("/me", tags=["security"], summary="Who the token speaks for: id, name, role")
async def me(actor: Reader) -> Actor:
    return actor


@router.get("/tokens", tags=["admin"], summary="List tokens (never the tokens themselves)")
async def list_tokens(_: Admin, state: State) -> list[dict[str, Any]]:
    return [r.doc() for r in await state.tokens.list()]


@router.post("/tokens", tags=["admin"], status_code=201, summary="Create a token (shown once)")
async def create_token(body: TokenIn, _: Admin, state: State) -> dict[str, Any]:
    if body.role not in GRANTED_ROLES:
        raise InvalidInputError(
            "invalid_role", "role must be agent, supervisor, admin or integrator"
        )
    token, record = await state.tokens.create(body.name, body.role)
    return {**record.doc(), "token": token}


@router.delete("/tokens/{token_id}", tags=["admin"], summary="Revoke a token")
async def revoke_token(token_id: DocId, _: Admin, state: State) -> dict[str, Any]:
    record = await state.tokens.revoke(token_id)
    if record is None:
        raise NotFoundError("token_not_found", f"no token {token_id}")
    return record.doc()


def _checked(body: CannedIn) -> dict[str, Any]:
    body.check()
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
        raise CannedNotFoundError(doc_id)
    return done


@router.delete("/canned-replies/{doc_id}", tags=["canned replies"], status_code=204)
async def delete_canned(doc_id: DocId, _: Supervisor, state: State) -> None:
    if not await state.canned.delete(doc_id):
        raise CannedNotFoundError(doc_id)
