"""A case key's book of cases as bytes, for the SLA service's table."""

from __future__ import annotations

import orjson

from services.plumbing.contracts.cases import Case
from services.sla.book import Held


def dump_book(book: tuple[Held, ...]) -> bytes:
    return orjson.dumps(
        [{"version": h.version, "case": h.case.model_dump(mode="json")} for h in book]
    )


def load_book(data: bytes | None) -> tuple[Held, ...]:
    if not data:
        return ()
    return tuple(
        Held(item["version"], Case.model_validate(item["case"])) for item in orjson.loads(data)
    )
