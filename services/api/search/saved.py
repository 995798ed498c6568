"""Saved searches (the "search folders" of Japanese tools), kept in
``<prefix>-saved-searches``: private to the token that made them, or shared with the team
(optionally labelled with the queue it works); only their maker deletes them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.api.errors import NotFoundError
from services.api.search.service import SearchRequest, Value
from services.api.stored import DocStore
from services.plumbing.contracts.actions import Actor

Visibility = Literal["private", "shared"]


class SavedSearchIn(BaseModel):
    """A saved search (the "search folder" of Japanese tools): a name and a search, validated
    as :class:`SearchRequest` (so a body that is not a search is a 422, never stored);
    ``visibility`` ``shared`` shows it to every token, ``queue`` (shared ones only) names the
    queue whose team it is for."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    search: SearchRequest
    visibility: Visibility = "private"
    queue: Value | None = None

    @model_validator(mode="after")
    def _queue_is_shared(self) -> SavedSearchIn:
        if self.queue is not None and self.visibility != "shared":
            raise ValueError("a queue is given to shared saved searches only")
        return self

    def doc(self) -> dict[str, Any]:
        """What is stored: the name, the search as JSON (only the values that were given; it
        is kept whole and never indexed field by field), the visibility and any queue."""
        doc = {
            "name": self.name,
            "search": self.search.model_dump(mode="json", exclude_unset=True),
            "visibility": self.visibility,
        }
        return doc if self.queue is None else {**doc, "queue": self.queue}


def shared(doc: dict[str, Any]) -> bool:
    return doc.get("visibility") == "shared"  # made before sharing existed: private


async def visible_saved(store: DocStore, actor: Actor) -> list[dict[str, Any]]:
    """``actor``'s own saved searches and every shared one, newest first."""
    own = await store.list({"created_by": actor.id})
    others = [d for d in await store.list({"visibility": "shared"}) if d["created_by"] != actor.id]
    return sorted([*own, *others], key=lambda d: str(d.get("updated_at")), reverse=True)


async def readable_saved(store: DocStore, doc_id: str, actor: Actor) -> dict[str, Any]:
    """Saved search ``doc_id`` when it is ``actor``'s or shared; :class:`NotFoundError` else."""
    doc = await store.get(doc_id)
    if doc is None or (doc.get("created_by") != actor.id and not shared(doc)):
        raise NotFoundError("saved_search_not_found", f"no saved search {doc_id} of yours")
    return doc


async def own_saved(store: DocStore, doc_id: str, actor: Actor) -> dict[str, Any]:
    """``actor``'s saved search ``doc_id``; :class:`NotFoundError` when it is not theirs (a
    colleague's shared one is read, never deleted, by others)."""
    doc = await store.get(doc_id)
    if doc is None or doc.get("created_by") != actor.id:
        raise NotFoundError("saved_search_not_found", f"no saved search {doc_id} of yours")
    return doc
