"""``/v1/search``, its CSV export, and ``/v1/saved-searches`` (each user's own and the shared)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from services.api.deps import DocId, Now, Reader, State
from services.api.errors import InvalidSearchError
from services.api.search import service as searching
from services.api.search.export import export_csv
from services.api.search.saved import SavedSearchIn, own_saved, readable_saved, visible_saved
from services.api.search.service import SearchRequest
from services.plumbing.contracts.actions import Actor

router = APIRouter(prefix="/v1", tags=["search"])


@router.post("/search", summary="Full text and filters over tweets or cases")
async def search(body: SearchRequest, _: Reader, state: State) -> searching.SearchPage:
    return await searching.search(state.es, state.prefix, body, key=state.secret)


def _export(body: SearchRequest, actor: Actor, state: State, now: Now) -> StreamingResponse:
    """The CSV of ``body``, holding one of ``actor``'s export slots (429 ``too_many_exports``
    when they are all taken) until the last row is sent or the client goes away."""
    searching.search_query(body)  # a bad search is a 400 now, not half a file later
    lease = state.exports.acquire(actor.id)
    name = f"tweetcare-{body.target}-{now:%Y%m%d-%H%M%S}.csv"

    async def rows() -> AsyncIterator[bytes]:
        try:
            async for chunk in export_csv(state.es, state.prefix, body):
                yield chunk
        finally:
            lease.release()

    # A stream cancelled before its first chunk never runs ``rows``' finally: the background
    # task, run once the response ends however it ends, gives the slot back then.
    return StreamingResponse(
        rows(), media_type="text/csv; charset=utf-8", background=BackgroundTask(lease.release),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


@router.post(
    "/search/export", summary="The whole search as CSV, streamed", response_class=StreamingResponse
)
async def export(body: SearchRequest, actor: Reader, state: State, now: Now) -> StreamingResponse:
    return _export(body, actor, state, now)


@router.get("/saved-searches", summary="My saved searches and the shared ones")
async def list_saved(actor: Reader, state: State) -> list[dict[str, Any]]:
    return await visible_saved(state.saved, actor)


@router.post("/saved-searches", status_code=201)
async def create_saved(body: SavedSearchIn, actor: Reader, state: State) -> dict[str, Any]:
    return await state.saved.create(body.doc(), actor.id)


@router.delete("/saved-searches/{doc_id}", status_code=204)
async def delete_saved(doc_id: DocId, actor: Reader, state: State) -> None:
    await own_saved(state.saved, doc_id, actor)
    await state.saved.delete(doc_id)


@router.get("/saved-searches/{doc_id}/export.csv", response_class=StreamingResponse)
async def export_saved(doc_id: DocId, actor: Reader, state: State, now: Now) -> StreamingResponse:
    doc = await readable_saved(state.saved, doc_id, actor)
    try:
        body = SearchRequest.model_validate(doc["search"])
    except ValueError as exc:
        raise InvalidSearchError(f"the saved search is no longer valid: {exc}") from exc
    return _export(body, actor, state, now)
