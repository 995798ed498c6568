"""The SLA worker's state and its batch step: inputs in, what to publish out. No Kafka here.

The engine holds the books of the case keys in the partitions this worker owns (decoded lazily:
a book recovered from the state topic stays bytes until an input touches it) and the due heap
over them. :meth:`Engine.apply` takes a batch of decoded inputs and returns, in order, the case
events, outbox replies and webhooks to publish and one state record per changed book: the
adapter publishes the events before the state records, so a recorded change was announced.
Time is an argument; the only deciding code is :func:`services.sla.dispatch.apply`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.plumbing.contracts.cases import CaseEvent
from services.plumbing.contracts.codecs import OUTBOX_REPLIES
from services.sla.book import Held
from services.sla.dispatch import Input, apply
from services.sla.due_heap import DueHeap
from services.sla.policies import Policy
from services.sla.storage import CaseJson, dump_book, encode_event, load_book
from services.sla.ticks import next_due

Book = tuple[Held, ...]
Recovered = tuple[str, bytes | None, float | None]
"""A state record read back: key, value (``None``: deleted), due time from its header."""
DUE_HEADER = "due"
"""State records carry the book's next due time (epoch seconds) in this header, so a recovering
worker rebuilds its timers without decoding any book."""


@dataclass(frozen=True)
class Incoming:
    """One decoded input for ``key`` read from ``partition``; ``source`` is the adapter's own
    handle on the message (given back with a failure)."""

    key: str
    partition: int
    item: Input
    source: Any = None


@dataclass(frozen=True)
class StateRecord:
    """The latest book of ``key`` (``None``: the book is empty, a tombstone)."""

    key: bytes
    value: bytes | None
    due: float | None

    @property
    def headers(self) -> list[tuple[str, bytes]]:
        return [] if self.due is None else [(DUE_HEADER, repr(self.due).encode())]


@dataclass
class Output:
    """What a batch did, in the order to publish it."""

    events: list[tuple[bytes, bytes]] = field(default_factory=list)
    outbox: list[tuple[bytes, bytes]] = field(default_factory=list)
    state: list[StateRecord] = field(default_factory=list)
    webhooks: list[tuple[str, bytes, str]] = field(default_factory=list)  # url, body, event id
    emitted: list[CaseEvent] = field(default_factory=list)
    changed: list[tuple[Book, Book]] = field(default_factory=list)
    failed: list[tuple[Incoming, Exception]] = field(default_factory=list)


class Engine:
    """``decoded`` bounds the books kept as objects (about 9 KB a case): past it, the books
    changed longest ago go back to bytes (about 1.5–3 KB a book) until an input touches them."""

    def __init__(self, policy: Policy, *, decoded: int = 100_000) -> None:
        self.policy = policy
        self.heap = DueHeap()
        self._decoded = decoded
        self._books: dict[str, Book] = {}
        self._raw: dict[str, bytes] = {}
        self._partition: dict[str, int] = {}
        self._keys: dict[int, set[str]] = {}

    @property
    def partitions(self) -> set[int]:
        return set(self._keys)

    def __len__(self) -> int:
        return len(self._partition)

    @property
    def decoded(self) -> int:
        """How many books are held as objects (the rest are bytes until touched)."""
        return len(self._books)

    def book(self, key: str) -> Book:
        book = self._books.get(key)
        if book is None:
            raw = self._raw.pop(key, None)
            book = load_book(raw) if raw else ()
            if book:
                self._books[key] = book
        return book

    def books(self) -> Iterable[tuple[str, Book]]:
        """Every book held (decoding those not decoded yet)."""
        for key in list(self._partition):
            book = self.book(key)
            if book:
                yield key, book

    def own(
        self, partition: int, records: Iterable[tuple[str, bytes | None, float | None]]
    ) -> None:
        """Take ``partition`` with its state records in log order (the last one of a key wins)."""
        keys = self._keys.setdefault(partition, set())
        for key, value, due in records:
            self._books.pop(key, None)
            if value:
                self._raw[key] = value
                self._partition[key] = partition
                keys.add(key)
                self.heap.schedule(key, None if due is None else datetime.fromtimestamp(due, UTC))
            else:
                self._raw.pop(key, None)
                self._partition.pop(key, None)
                keys.discard(key)
                self.heap.schedule(key, None)

    def release(self, partitions: Iterable[int]) -> int:
        """Forget every book (and timer) of ``partitions``; returns how many keys went."""
        dropped = 0
        for partition in partitions:
            keys = self._keys.pop(partition, set())
            self.heap.drop(keys)
            for key in keys:
                self._books.pop(key, None)
                self._raw.pop(key, None)
                self._partition.pop(key, None)
            dropped += len(keys)
        return dropped

    def due_keys(self, now: datetime, held: Iterable[int] = ()) -> list[Incoming]:
        """A tick for every key due by ``now`` (they leave the heap; :meth:`apply` reschedules),
        except those of the ``held`` partitions, which stay due."""
        partitions, holding = self._partition, set(held)
        hold = (lambda key: partitions.get(key) in holding) if holding else None
        return [Incoming(k, partitions[k], None) for k in self.heap.pop_due(now, hold)
                if k in partitions]  # fmt: skip

    def apply(self, batch: Sequence[Incoming], now: datetime) -> Output:
        """Apply ``batch`` in order at ``now``; an input that raises changes nothing and is
        returned in ``failed``."""
        out = Output()
        cache = CaseJson()
        before: dict[str, Book] = {}
        limit = now.timestamp()
        for incoming in batch:
            key = incoming.key
            book = self.book(key)
            due_at = self.heap.due_at(key)
            due = incoming.item is None or (due_at is not None and due_at <= limit)
            try:
                step = apply(book, incoming.item, self.policy, now, due=due)
            except Exception as exc:  # a bad input must not stop the worker: dead-lettered
                out.failed.append((incoming, exc))
                continue
            encoded_key = key.encode()
            for event in step.events:
                out.events.append((encoded_key, encode_event(event, cache)))
                out.emitted.append(event)
            for reply in step.outbox:
                out.outbox.append((encoded_key, OUTBOX_REPLIES.encode(reply)))
            for url, fired in step.webhooks:
                out.webhooks.append((url, encode_event(fired, cache), fired.event_id))
            if step.book != book:
                before.setdefault(key, book)
                self._store(key, incoming.partition, step.book)
            if step.book != book or incoming.item is None:
                self.heap.schedule(key, next_due(step.book, self.policy))
        for key, old in before.items():
            new = self._books.get(key, ())
            out.changed.append((old, new))
            value = dump_book(new, cache) if new else None
            out.state.append(StateRecord(key.encode(), value, self.heap.due_at(key)))
        return out

    def _store(self, key: str, partition: int, book: Book) -> None:
        if book:
            self._books.pop(key, None)  # to the end: the books changed longest ago come first
            self._books[key] = book
            self._partition[key] = partition
            self._keys.setdefault(partition, set()).add(key)
            if len(self._books) > self._decoded:
                self._cool(len(self._books) - self._decoded + self._decoded // 10)
        else:
            self._books.pop(key, None)
            self._partition.pop(key, None)
            self._keys.get(partition, set()).discard(key)

    def _cool(self, count: int) -> None:
        """Turn the ``count`` books changed longest ago back into bytes (their cases' JSON is
        kept from when they were last written, so this costs a join, not an encoding)."""
        cache = CaseJson()
        for key in list(itertools.islice(self._books, count)):
            self._raw[key] = dump_book(self._books.pop(key), cache)
