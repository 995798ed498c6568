"""A case as the read model holds it: the snapshot of its newest event (see readmodel.documents)."""

from __future__ import annotations

from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from services.plumbing.contracts.cases import Case

_CASE_FIELDS = frozenset(Case.model_fields)


def case_of(doc: dict[str, Any]) -> Case:
    """The :class:`Case` inside a case document (derived fields dropped)."""
    return Case.model_validate({k: v for k, v in doc.items() if k in _CASE_FIELDS})


async def load_case(es: AsyncElasticsearch, prefix: str, case_id: str) -> tuple[int, Case] | None:
    """The indexed case and its version; None when the index has no such case."""
    try:
        got = await es.get(index=f"{prefix}-cases", id=case_id)
    except NotFoundError:
        return None
    return int(got["_source"]["case_version"]), case_of(got["_source"])
