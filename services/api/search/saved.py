"""Saved searches (the "search folders" of Japanese tools): each user's own, kept in
``<prefix>-saved-searches``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.api.errors import NotFoundError
from services.api.search.service import SearchRequest
from services.api.stored import DocStore
from services.plumbing.contracts.actions import Actor


class SavedSearchIn(BaseModel):
    """A saved search (the "search folder" of Japanese tools): a name and a search, validated
    as :class:`SearchRequest` (so a body that is not a search is a 422, never stored)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    search: SearchRequest

    def doc(self) -> dict[str, Any]:
        """What is stored: the name and the search as JSON, only the values that were given (it
        is kept whole and never indexed field by field)."""
        return {
            "name": self.name,
            "search": self.search.model_dump(mode="json", exclude_unset=True),
        }


async def own_saved(store: DocStore, doc_id: str, actor: Actor) -> dict[str, Any]:
    """``actor``'s saved search ``doc_id``; :class:`NotFoundError` when it is not theirs."""
    doc = await store.get(doc_id)
    if doc is None or doc.get("created_by") != actor.id:
        raise NotFoundError("saved_search_not_found", f"no saved search {doc_id} of yours")
    return doc
