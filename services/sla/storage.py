"""A case key's book of cases as bytes, and case events as bytes: each case encoded once.

A changed case is serialised once; that JSON goes into every event about it (spliced after the
event's own fields) and into the book's state record. Unchanged cases of a book keep the JSON
they were stored with, so writing a customer's book costs one encoding of the case that changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, TypeAdapter

from services.plumbing.contracts.cases import Case, CaseEvent
from services.sla.book import Held

_CASE: TypeAdapter[Case] = TypeAdapter(Case)
_EVENT: TypeAdapter[CaseEvent] = TypeAdapter(CaseEvent)


class _Stored(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: int
    case: Case


_BOOK: TypeAdapter[list[_Stored]] = TypeAdapter(list[_Stored])


class CaseJson:
    """Remembers the JSON of the cases it has encoded (by object), for one batch of work."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Case, bytes]] = {}

    def of(self, case: Case) -> bytes:
        known = self._by_id.get(id(case))
        if known is not None and known[0] is case:
            return known[1]
        data = _CASE.dump_json(case, by_alias=True)
        self._by_id[id(case)] = (case, data)
        return data

    def held(self, held: Held) -> bytes:
        """The JSON of ``held``'s case, kept on ``held`` for the next time its book is written."""
        cached: bytes | None = held.__dict__.get("_json")
        if cached is None:
            cached = self.of(held.case)
            object.__setattr__(held, "_json", cached)
        return cached


def dump_book(book: Iterable[Held], cache: CaseJson | None = None) -> bytes:
    cache = cache or CaseJson()
    parts = [b'{"version":%d,"case":%s}' % (h.version, cache.held(h)) for h in book]
    return b"[" + b",".join(parts) + b"]"


def load_book(data: bytes | None) -> tuple[Held, ...]:
    """The book stored as ``data``; raises ``pydantic.ValidationError`` if it is not one."""
    if not data:
        return ()
    return tuple(Held(s.version, s.case) for s in _BOOK.validate_json(data))


def encode_event(event: CaseEvent, cache: CaseJson) -> bytes:
    """The event as ``CASES_EVENTS.encode`` writes it, with the case's JSON taken from ``cache``."""
    head = _EVENT.dump_json(event, by_alias=True, exclude={"case"})
    return head[:-1] + b',"case":' + cache.of(event.case) + b"}"
