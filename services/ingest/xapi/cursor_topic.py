"""The X cursors on a compacted topic keyed by cursor key (``mentions:acmehelp``), shared by the
ingest replicas: the one holding the lease (:mod:`services.ingest.lease`) writes each cursor
after the page before it was published, and the next holder reads them all back when it takes
over, so it resumes where the last one stopped.

A store belongs to one term of the lease: once :meth:`TopicCursors.end` is called (the lease is
lost) a late write from a source still finishing is refused, so it cannot move a cursor the next
holder has already read back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import asdict

from services.ingest.compacted import CompactedTopic, SharedStateError
from services.ingest.xapi.cursors import Cursor, CursorFileError


class TopicCursors:
    """Cursors by key, read from the beginning of ``topic`` once (at the start of a term),
    written through."""

    def __init__(self, topic: CompactedTopic) -> None:
        self._topic = topic
        self._cursors: dict[str, Cursor] = {}
        self._ended = threading.Event()
        for record in topic.read_all():  # from the start: a term may follow an earlier one
            if record.value is None:
                self._cursors.pop(record.key, None)
                continue
            try:
                self._cursors[record.key] = Cursor(**json.loads(record.value))
            except (ValueError, TypeError) as exc:
                raise CursorFileError(f"cursor record {record.where} is unreadable: {exc}") from exc

    def get(self, key: str) -> Cursor:
        return self._cursors.get(key, Cursor())

    def put(self, key: str, cursor: Cursor) -> None:
        """Write ``cursor`` (skipped if unchanged); :class:`SharedStateError` after :meth:`end`."""
        if self._ended.is_set():
            raise SharedStateError(f"the lease was lost: cursor {key} not written")
        if self._cursors.get(key) == cursor:
            return
        self._topic.write(key, json.dumps(asdict(cursor)).encode())
        self._cursors[key] = cursor

    def adopt(self, cursors: Mapping[str, Cursor]) -> int:
        """Write the cursors of keys this store has none of (the cursor file of a version that
        kept it in the state directory); how many were written."""
        missing = {k: c for k, c in cursors.items() if k not in self._cursors}
        for key, cursor in missing.items():
            self.put(key, cursor)
        return len(missing)

    def end(self) -> None:
        """The term is over: refuse every later write."""
        self._ended.set()
