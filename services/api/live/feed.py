"""The live side of ``cases.events``: outcomes of actions and server-sent events.

Every API replica reads every partition of ``cases.events`` from the end (no consumer group: each
replica must see every event), keeps the last events in a ring buffer for streams that resume with
``Last-Event-ID``, wakes the request waiting for an action's outcome, and fans events out to the
live streams of the queues they concern (including the queue a case just left).

It holds each event as its bytes and routing fields (:class:`LiveEvent`) and decodes the whole
event only for whoever needs it: :meth:`LiveFeed.latest`, an outcome's waiter or
:meth:`LiveFeed.outcome`. Streams send the bytes as they came. A message that is not a case event
is skipped with a warning when read; one that only fails its whole decode is skipped (warned
once) by whoever asked for it: no answer from the feed, as if it had never arrived.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable

from aiokafka import AIOKafkaConsumer

from services.api.live.events import LiveEvent
from services.plumbing.contracts.cases import CaseEvent
from services.plumbing.contracts.codecs import EventValidationError

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
        self.events: asyncio.Queue[LiveEvent] = asyncio.Queue(capacity)
        self.overflowed = False

    def offer(self, event: LiveEvent) -> bool:
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
        self._buffer: deque[LiveEvent] = deque(maxlen=buffer_size)
        self._outcomes: OrderedDict[str, LiveEvent] = OrderedDict()
        self._waiters: dict[str, asyncio.Future[CaseEvent]] = {}
        self._subscribers: set[Subscription] = set()
        self._latest: OrderedDict[str, LiveEvent] = OrderedDict()
        self._capacity = buffer_size
        self.received = 0

    # -- input -------------------------------------------------------------------------------
    def publish(self, event: LiveEvent | CaseEvent) -> None:
        """Take one event from ``cases.events`` (a :class:`CaseEvent`: one made in-process)."""
        live = event if isinstance(event, LiveEvent) else LiveEvent.of(event)
        self.received += 1
        self._buffer.append(live)
        case_id = live.case_id
        was = self._latest.pop(case_id, None)
        newest = live
        if was is not None and not was.undecodable and was.case_version > live.case_version:
            newest = was
        self._latest[case_id] = newest
        if len(self._latest) > self._capacity * 10:
            self._latest.popitem(last=False)
        left = was.queue if was is not None else None  # the queue it may have left
        if live.action_id is not None:
            action_id = live.action_id
            self._outcomes[action_id] = live
            if len(self._outcomes) > self._capacity:
                self._outcomes.popitem(last=False)
            waiter = self._waiters.pop(action_id, None)
            if waiter is not None and not waiter.done():
                decoded = live.event  # someone waits for it: decoded now
                if decoded is not None:
                    waiter.set_result(decoded)
                else:  # no outcome: it keeps waiting, as for an event that never came
                    self._waiters[action_id] = waiter
        for sub in list(self._subscribers):
            if self._concerns(sub.queue, live, left) and not sub.offer(live):
                self._subscribers.discard(sub)  # it ends once it has sent what it holds

    @staticmethod
    def _concerns(queue: str, event: LiveEvent, left: str | None) -> bool:
        return queue in (ALL_QUEUES, event.queue, left)

    def latest(self, case_id: str) -> CaseEvent | None:
        """The newest event seen for ``case_id`` (fresher than the index right after a change);
        None when there is none or it does not decode."""
        known = self._latest.get(case_id)
        return known.event if known is not None else None

    # -- outcomes ----------------------------------------------------------------------------
    def expect(self, action_id: str) -> asyncio.Future[CaseEvent]:
        """Register before sending the action; the future resolves with its outcome event."""
        known = self.outcome(action_id)
        future: asyncio.Future[CaseEvent] = asyncio.get_running_loop().create_future()
        if known is not None:
            future.set_result(known)
        else:
            self._waiters[action_id] = future
        return future

    def forget(self, action_id: str) -> None:
        self._waiters.pop(action_id, None)

    def outcome(self, action_id: str) -> CaseEvent | None:
        """The outcome event of ``action_id`` if it came (and decodes)."""
        known = self._outcomes.get(action_id)
        return known.event if known is not None else None

    # -- streams -----------------------------------------------------------------------------
    def subscribe(
        self, queue: str, last_event_id: str | None
    ) -> tuple[Subscription, list[LiveEvent], bool]:
        """A new subscription, the buffered events after ``last_event_id`` for it, and whether the
        resume point was found (False: the client should reload, events may be missing)."""
        sub = Subscription(queue, self._stream_capacity)
        backlog: list[LiveEvent] = []
        found = last_event_id is None
        if last_event_id is not None:
            seen: dict[str, str] = {}
            for event in self._buffer:
                left = seen.get(event.case_id)
                seen[event.case_id] = event.queue
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
                    receive(feed, record.value)
    finally:
        await consumer.stop()


def receive(feed: LiveFeed, value: bytes | None) -> None:
    """Publish one message of ``cases.events``; one that is not a case event is skipped with a
    warning."""
    try:
        event = LiveEvent.read(value)
    except EventValidationError as exc:
        log.warning("undecodable case event skipped", extra={"why": str(exc)})
        return
    feed.publish(event)


REVOKED = b'event: revoked\ndata: {"code": "invalid_token"}\n\n'


async def sse(
    feed: LiveFeed, sub: Subscription, backlog: list[LiveEvent], found: bool, *,
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
            frame = event.frame()
            if frame is not None:
                yield frame
        checked = sent = monotonic()
        while not sub.finished:
            live = await _next(sub, min(heartbeat_s, recheck_s))
            if allowed is not None and monotonic() - checked >= recheck_s:
                checked = monotonic()
                if not await allowed():
                    yield REVOKED
                    return
            frame = live.frame() if live is not None else None
            if frame is not None:
                yield frame
                sent = monotonic()
            elif monotonic() - sent >= heartbeat_s:
                yield b": heartbeat\n\n"
                sent = monotonic()
    finally:
        feed.unsubscribe(sub)


async def _next(sub: Subscription, timeout_s: float) -> LiveEvent | None:
    """The next event of ``sub``, None when none came within ``timeout_s``. One it holds already
    is taken without ``wait_for`` (which costs a task per call): a busy stream sends at the
    feed's pace."""
    try:
        return sub.events.get_nowait()
    except asyncio.QueueEmpty:
        pass
    try:
        return await asyncio.wait_for(sub.events.get(), timeout_s)
    except TimeoutError:
        return None
