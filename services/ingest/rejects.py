"""What a source could not turn into an event: where, why, and the original, for the DLQ."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rejected:
    where: str  # "line 12", "tweet 1234", "conversation 7"
    reason: str
    raw: str  # the original row or object as text; undecodable bytes kept as surrogates

    def payload(self) -> bytes:
        """The original bytes (invalid UTF-8 restored as it was read)."""
        return self.raw.encode("utf-8", "surrogateescape")


def as_text(obj: Any) -> str:
    """A row or JSON object as text for :attr:`Rejected.raw`."""
    if isinstance(obj, str):
        return obj
    return json.dumps(obj, ensure_ascii=False, default=str)


def keep(rejects: list[Rejected] | None, where: str, exc: Exception, raw: Any) -> None:
    """Record a rejected input, or re-raise when the caller keeps no list (strict mode)."""
    if rejects is None:
        raise exc
    rejects.append(Rejected(where, f"{type(exc).__name__}: {exc}"[:1_000], as_text(raw)))
