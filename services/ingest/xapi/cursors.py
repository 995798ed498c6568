"""Where each poll stopped, per (endpoint, handle or rule), in a small JSON file.

X returns the newest tweets first and pages backwards, so a poll that stops half-way (a crash,
a page limit) must neither lose the older pages nor repeat the newer ones. A :class:`Cursor`
holds ``since_id`` (every tweet up to it was published) and, while a poll is unfinished,
``newest_id`` (where the next ``since_id`` will be) and ``until_id`` (the oldest id published so
far): the next poll resumes with ``since_id``/``until_id`` and only then moves ``since_id`` on.
The poller writes a cursor only after its page was published. Each write replaces the file
atomically (temporary file, fsync, ``os.replace``): a crash leaves the old file or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol


class CursorFileError(ValueError):
    """The cursor file is not what this module writes; the message names the file."""


@dataclass(frozen=True)
class Cursor:
    since_id: str | None = None
    newest_id: str | None = None
    until_id: str | None = None

    @property
    def unfinished(self) -> bool:
        return self.newest_id is not None


def cursor_key(endpoint: str, subject: str) -> str:
    """``mentions:acmehelp``, ``search:acme/keyword``, ``dm:acmehelp``."""
    return f"{endpoint}:{subject.lower()}"


class Cursors(Protocol):
    """Where the poller keeps its cursors: this file (:class:`CursorStore`, one process) or a
    compacted topic the replicas share (:class:`.cursor_topic.TopicCursors`)."""

    def get(self, key: str) -> Cursor:
        """The cursor of ``key`` (an empty one when there is none)."""

    def put(self, key: str, cursor: Cursor) -> None:
        """Keep ``cursor`` durably before returning; raise if it could not be."""


class CursorStore:
    """Cursors by key, loaded once from ``path`` and written through on every change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cursors: dict[str, Cursor] = {}
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                self._cursors = {key: Cursor(**value) for key, value in raw.items()}
            except (ValueError, TypeError, AttributeError) as exc:
                raise CursorFileError(f"cursor file {path} is unreadable: {exc}") from exc

    def get(self, key: str) -> Cursor:
        return self._cursors.get(key, Cursor())

    def items(self) -> dict[str, Cursor]:
        return dict(self._cursors)

    def put(self, key: str, cursor: Cursor) -> None:
        """Remember ``cursor`` for ``key`` and write the file atomically (skipped if unchanged)."""
        if self._cursors.get(key) == cursor:
            return
        self._cursors[key] = cursor
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({k: asdict(v) for k, v in sorted(self._cursors.items())}, indent=1)
        fd, temp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
