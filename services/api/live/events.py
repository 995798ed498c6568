"""One ``cases.events`` message as the live feed holds it: its bytes, the few fields the feed
routes on, and the whole :class:`CaseEvent` decoded only when someone asks for it.

Most events an API replica reads are never looked at (no stream of their queue, no request
waiting for their outcome, nobody asking for their case), so reading one costs a parse that
builds only the routing fields (the JSON parser skips the rest without making Python objects).
The whole event is validated by the codec on first use and kept; an event that fails then is
logged once ("undecodable case event skipped") and behaves as one that never arrived. A live
stream sends the bytes as they came: what ``CASES_EVENTS.encode`` writes, so the frame is the one
a re-encoding would make; bytes that are not one line (not the codec's) are re-encoded first.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal, NotRequired

from pydantic import Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic's choice on Python 3.11

from services.plumbing.contracts.cases import CaseEvent
from services.plumbing.contracts.codecs import (
    CASES_EVENTS,
    EventValidationError,
    validation_error,
)
from services.plumbing.contracts.common import Id
from services.plumbing.contracts.deadletter import DeadLetterReason

log = logging.getLogger("tweetcare.api.live")


class _CaseRoute(TypedDict):
    case_id: str
    queue: str


class _OutcomeRoute(TypedDict):
    action_id: str


class _Route(TypedDict):
    event_id: Id  # checked: it goes into a stream's `id:` line
    version: NotRequired[Literal[1]]
    case_version: Annotated[int, Field(ge=1)]
    case: _CaseRoute
    outcome: NotRequired[_OutcomeRoute | None]


_ROUTE: TypeAdapter[_Route] = TypeAdapter(_Route)


class LiveEvent:
    """A case event's bytes and routing fields; :attr:`event` decodes it whole, once."""

    __slots__ = ("_event", "_undecodable", "action_id", "case_id", "case_version", "data",
                 "event_id", "queue")  # fmt: skip

    def __init__(
        self, data: bytes, event_id: str, case_id: str, case_version: int, queue: str,
        action_id: str | None, event: CaseEvent | None = None,
    ) -> None:  # fmt: skip
        self.data = data
        self.event_id = event_id
        self.case_id = case_id
        self.case_version = case_version
        self.queue = queue
        self.action_id = action_id
        self._event = event
        self._undecodable = False

    @classmethod
    def read(cls, data: bytes | None) -> LiveEvent:
        """The event held in ``data``; :class:`EventValidationError` when it is not JSON or
        lacks a routing field (the rest is checked by :attr:`event`)."""
        if data is None:
            raise EventValidationError(
                CASES_EVENTS.topic, DeadLetterReason.UNDECODABLE, "empty message"
            )
        try:
            route = _ROUTE.validate_json(data)
        except ValidationError as exc:
            raise validation_error(CASES_EVENTS.topic, exc) from exc
        case, outcome = route["case"], route.get("outcome")
        return cls(
            data, route["event_id"], case["case_id"], route["case_version"], case["queue"],
            outcome["action_id"] if outcome is not None else None,
        )  # fmt: skip

    @classmethod
    def of(cls, event: CaseEvent) -> LiveEvent:
        """An event already decoded (published in-process), with the bytes the codec writes."""
        return cls(
            CASES_EVENTS.encode(event), event.event_id, event.case.case_id, event.case_version,
            event.case.queue, event.outcome.action_id if event.outcome is not None else None,
            event,
        )  # fmt: skip

    @property
    def event(self) -> CaseEvent | None:
        """The whole event, decoded by the codec on first use; None (warned once) when it is
        not a valid case event."""
        if self._event is None and not self._undecodable:
            try:
                self._event = CASES_EVENTS.decode(self.data)
            except EventValidationError as exc:
                self._undecodable = True
                log.warning("undecodable case event skipped", extra={"why": str(exc)})
        return self._event

    @property
    def undecodable(self) -> bool:
        """Its decode was tried and failed."""
        return self._undecodable

    def frame(self) -> bytes | None:
        """The ``event: case`` frame of a live stream; None for an event that cannot be sent."""
        if self._undecodable:
            return None
        data = self.data
        if b"\n" in data or b"\r" in data:  # a frame's data is one line: not the codec's bytes
            event = self.event
            if event is None:
                return None
            data = CASES_EVENTS.encode(event)
        return b"id: " + self.event_id.encode() + b"\nevent: case\ndata: " + data + b"\n\n"
