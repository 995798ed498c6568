"""Saved searches (the "search folders" of Japanese tools): each user's own, kept in
``<prefix>-saved-searches``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.api.errors import NotFoundError
from services.api.stored import DocStore
from services.plumbing.contracts.actions import Actor


class SavedSearchIn(BaseModel):
    """A saved search (the "search folder" of Japanese tools): a name and the search body."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    search: dict[str, Any]


async def own_saved(store: DocStore, doc_id: str, actor: Actor) -> dict[str, Any]:
    """``actor``'s saved search ``doc_id``; :class:`NotFoundError` when it is not theirs."""
    doc = await store.get(doc_id)
    if doc is None or doc.get("created_by") != actor.id:
        raise NotFoundError("saved_search_not_found", f"no saved search {doc_id} of yours")
    return doc
