"""When each case key next needs a look: a heap with lazy deletion, for a million open cases.

A key has at most one live due time (``_due``); rescheduling pushes a new heap entry and leaves
the old one to be skipped when it surfaces. Entries are plain tuples (float seconds, key): about
a hundred bytes a case, and ``pop_due`` costs O(log n) per fired key, never a scan.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from datetime import UTC, datetime


class DueHeap:
    def __init__(self) -> None:
        self._heap: list[tuple[float, str]] = []
        self._due: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._due)

    def schedule(self, key: str, due: datetime | None) -> None:
        """Set (or clear, with ``None``) when ``key`` is next due."""
        if due is None:
            self._due.pop(key, None)
            return
        stamp = due.timestamp()
        if self._due.get(key) == stamp:
            return
        self._due[key] = stamp
        heapq.heappush(self._heap, (stamp, key))
        if len(self._heap) > 2 * len(self._due) + 1024:
            self._compact()

    def due_at(self, key: str) -> float | None:
        """When ``key`` is next due (epoch seconds), or ``None``."""
        return self._due.get(key)

    def pop_due(self, now: datetime, hold: Callable[[str], bool] | None = None) -> list[str]:
        """Every key due at or before ``now``, each once, earliest first; they are unscheduled.
        Keys for which ``hold`` is true stay scheduled (they are not ready to fire yet)."""
        limit = now.timestamp()
        out = []
        kept = []
        heap, due = self._heap, self._due
        while heap and heap[0][0] <= limit:
            stamp, key = heapq.heappop(heap)
            if due.get(key) == stamp:
                if hold is not None and hold(key):
                    kept.append((stamp, key))
                    continue
                del due[key]
                out.append(key)
        for entry in kept:
            heapq.heappush(heap, entry)
        return out

    def next_at(self) -> datetime | None:
        while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        return datetime.fromtimestamp(self._heap[0][0], UTC) if self._heap else None

    def drop(self, keys: Iterable[str]) -> None:
        """Forget ``keys`` (their partitions were revoked)."""
        for key in keys:
            self._due.pop(key, None)

    def rebuild(self, dues: Iterable[tuple[str, datetime | None]]) -> None:
        """Start again from ``(key, due)`` pairs (partitions were assigned): one heapify."""
        self._due = {k: d.timestamp() for k, d in dues if d is not None}
        self._heap = [(stamp, key) for key, stamp in self._due.items()]
        heapq.heapify(self._heap)

    def _compact(self) -> None:
        self._heap = [(stamp, key) for key, stamp in self._due.items()]
        heapq.heapify(self._heap)
