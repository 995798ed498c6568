"""The live side of ``cases.events``: outcomes of actions and server-sent events.

Every API replica reads every partition of ``cases.events`` from the end (no consumer group: each
replica must see every event), keeps the last events in a ring buffer for streams that resume with
``Last-Event-ID``, wakes the request waiting for an action's outcome, and fans events out to the
live streams of the queues they concern (including the queue a case just left).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable

from aiokafka import AIOKafkaConsumer

from services.plumbing.contracts.cases import CaseEvent
from services.plumbing.contracts.codecs import CASES_EVENTS, EventValidationError

log = logging.getLogger("tweetcare.api.live")
ALL_QUEUES = "*"


class Subscription:
    """One live stream's mailbox of up to ``capacity`` events.

    An event that does not fit marks the mailbox ``overflowed``: it takes no more events, the
    stream delivers the ones it holds (all older than the first it missed) and then ends, so the
    browser reconnects with the ``Last-Event-ID`` of the last event it got and the buffer replays
    the rest (or answers ``reset`` when they are gone from it)."""

    def __init__(self, queue: str, capacity: int = 1_000) -> None:
        self.queue = queue
        self.events: asyncio.Queue[CaseEvent] = asyncio.Queue(capacity)
        self.overflowed = False

    def offer(self, event: CaseEvent) -> bool:
        """Take ``event``; False (and ``overflowed`` from then on) when it does not fit."""
        if self.overflowed:
            return False
        try:
            self.events.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            return False
        return True

    @property
    def finished(self) -> bool:
        """Overflowed and every event it held was taken: the stream should end now."""
        return self.overflowed and self.events.empty()


class LiveFeed:
    """Buffer, waiters and subscribers over the events as they arrive (see module doc)."""

    def __init__(self, buffer_size: int = 10_000, stream_capacity: int = 1_000) -> None:
        self._stream_capacity = stream_capacity
        self._buffer: deque[CaseEvent] = deque(maxlen=buffer_size)
        self._outcomes: OrderedDict[str, CaseEvent] = OrderedDict()
        self._waiters: dict[str, asyncio.Future[CaseEvent]] = {}
        self._subscribers: set[Subscription] = set()
        self._latest: OrderedDict[str, CaseEvent] = OrderedDict()
        self._capacity = buffer_size
        self.received = 0

    # -- input -------------------------------------------------------------------------------
    def publish(self, event: CaseEvent) -> None:
        """Take one event from ``cases.events``."""
        self.received += 1
        self._buffer.append(event)
        case_id = event.case.case_id
        known = self._latest.pop(case_id, None)
        self._latest[case_id] = (
            event if known is None or event.case_version >= known.case_version else known
        )
        if len(self._latest) > self._capacity * 10:
            self._latest.popitem(last=False)
        left = known.case.queue if known is not None else None  # the queue it may have left
        if event.outcome is not None:
            action_id = event.outcome.action_id
            self._outcomes[action_id] = event
            if len(self._outcomes) > self._capacity:
                self._outcomes.popitem(last=False)
            waiter = self._waiters.pop(action_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(event)
        for sub in list(self._subscribers):
            if self._concerns(sub.queue, event, left) and not sub.offer(event):
                self._subscribers.discard(sub)  # it ends once it has sent what it holds

    @staticmethod
    def _concerns(queue: str, event: CaseEvent, left: str | None) -> bool:
        return queue in (ALL_QUEUES, event.case.queue, left)

    def latest(self, case_id: str) -> CaseEvent | None:
        """The newest event seen for ``case_id`` (fresher than the index right after a change)."""
        return self._latest.get(case_id)

    # -- outcomes ----------------------------------------------------------------------------
    def expect(self, action_id: str) -> asyncio.Future[CaseEvent]:
        """Register before sending the action; the future resolves with its outcome event."""
        known = self._outcomes.get(action_id)
        future: asyncio.Future[CaseEvent] = asyncio.get_running_loop().create_future()
        if known is not None:
            future.set_result(known)
        else:
            self._waiters[action_id] = future
        return future

    def forget(self, action_id: str) -> None:
        self._waiters.pop(action_id, None)

    def outcome(self, action_id: str) -> CaseEvent | None:
        return self._outcomes.get(action_id)

    # -- streams -----------------------------------------------------------------------------
    def subscribe(
        self, queue: str, last_event_id: str | None
    ) -> tuple[Subscription, list[CaseEvent], bool]:
        """A new subscription, the buffered events after ``last_event_id`` for it, and whether the
        resume point was found (False: the client should reload, events may be missing)."""
        sub = Subscription(queue, self._stream_capacity)
        backlog: list[CaseEvent] = []
        found = last_event_id is None
        if last_event_id is not None:
            seen: dict[str, str] = {}
            for event in self._buffer:
                left = seen.get(event.case.case_id)
                seen[event.case.case_id] = event.case.queue
                if found and self._concerns(queue, event, left):
                    backlog.append(event)
                if event.event_id == last_event_id:
                    found = True
        self._subscribers.add(sub)
        return sub, backlog, found

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)


async def follow(
    feed: LiveFeed, bootstrap: str, topic: str, ready: asyncio.Event, stop: asyncio.Event
) -> None:
    """Read ``topic`` from its end into ``feed`` until ``stop``; set ``ready`` once positioned."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="latest",
        enable_auto_commit=False, client_id="tweetcare-api-live",
    )  # fmt: skip
    await consumer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        for tp in consumer.assignment():
            await consumer.position(tp)
        ready.set()
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=5_000)
            for records in batches.values():
                for record in records:
                    try:
                        feed.publish(CASES_EVENTS.decode(record.value))
                    except EventValidationError as exc:
                        log.warning("undecodable case event skipped", extra={"why": str(exc)})
    finally:
        await consumer.stop()


REVOKED = b'event: revoked\ndata: {"code": "invalid_token"}\n\n'


async def sse(
    feed: LiveFeed, sub: Subscription, backlog: list[CaseEvent], found: bool, *,
    allowed: Callable[[], Awaitable[bool]] | None = None, recheck_s: float = 5.0,
    heartbeat_s: float = 15.0, monotonic: Callable[[], float] = time.monotonic,
) -> AsyncIterator[bytes]:  # fmt: skip
    """The text/event-stream of one subscription: a reset when the resume point is gone, the
    backlog, then live events, with comments as heartbeats. Every ``recheck_s`` (on the
    ``monotonic`` clock) it asks ``allowed`` whether its token still holds; when not, it sends
    ``event: revoked`` and ends."""
    try:
        yield b"retry: 2000\n\n"
        if not found:
            yield b"event: reset\ndata: {}\n\n"
        for event in backlog:
            yield _frame(event)
        checked = sent = monotonic()
        while not sub.finished:
            try:
                live: CaseEvent | None = await asyncio.wait_for(
                    sub.events.get(), min(heartbeat_s, recheck_s)
                )
            except TimeoutError:
                live = None
            if allowed is not None and monotonic() - checked >= recheck_s:
                checked = monotonic()
                if not await allowed():
                    yield REVOKED
                    return
            if live is not None:
                yield _frame(live)
                sent = monotonic()
            elif monotonic() - sent >= heartbeat_s:
                yield b": heartbeat\n\n"
                sent = monotonic()
    finally:
        feed.unsubscribe(sub)


def _frame(event: CaseEvent) -> bytes:
    return (
        b"id: " + event.event_id.encode() + b"\nevent: case\ndata: " + CASES_EVENTS.encode(event)
        + b"\n\n"
    )  # fmt: skip
