"""The filtered stream: rules kept in sync, each line a tweet event, reconnects with backoff.

tweepy's ``StreamingClient`` reads the stream; its own reconnect loop sleeps with ``time.sleep``,
so :class:`_Listener` ends every connection on the first close or error and
:class:`StreamConsumer` decides when to reconnect, waiting with the injected ``sleep``: a dropped
connection first waits ``network_s``, an HTTP error ``http_s``, a 429 ``rate_limit_s``, each
doubling while failures repeat (X's reconnect guidance), reset by a successful connection.
The stream has no cursor: what X sent while disconnected is found by the mentions and search
polls, and duplicates are dropped downstream (``dedupe``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import tweepy

from services.ingest.brands import BrandMap
from services.ingest.xapi.client import (
    EXPANSIONS,
    TWEET_FIELDS,
    USER_FIELDS,
    Connection,
    Sleep,
    install,
    translated,
)
from services.ingest.xapi.cost import CostMeter, Usage
from services.ingest.xapi.rules import RuleSpec
from services.ingest.xapi.sink import Sink, page_tweet_events
from services.plumbing.clock import Clock
from services.plumbing.contracts.tweets import Source

STREAM = "GET /2/tweets/search/stream"


class RuleSyncError(ValueError):
    """X refused some rules; the message lists each with X's reason."""


@dataclass(frozen=True)
class Backoff:
    network_s: float = 0.25
    http_s: float = 5.0
    rate_limit_s: float = 60.0
    factor: float = 2.0
    maximum_s: float = 320.0

    def delay(self, status: int | None, failures: int) -> float:
        """The wait before reconnecting after ``failures`` failed connections in a row."""
        first = self.network_s if status is None else self.http_s
        if status == 429:
            first = self.rate_limit_s
        return float(min(first * self.factor ** max(failures - 1, 0), self.maximum_s))


@dataclass(frozen=True)
class RuleSync:
    added: list[str]
    deleted: list[str]
    kept: int


@dataclass
class StreamReport:
    attempts: int = 0
    connections: int = 0  # attempts that X answered with 200
    published: int = 0
    ignored: int = 0  # lines about no brand we listen for
    x_errors: list[str] = field(default_factory=list)  # error messages X sent in the stream
    waits: list[float] = field(default_factory=list)


@dataclass
class _Ending:
    status: int | None = None
    connected: bool = False
    error: BaseException | None = None


class _Listener(tweepy.StreamingClient):  # type: ignore[misc]
    """tweepy's stream reader, ended on the first close or error instead of retrying itself."""

    def __init__(self, token: str, connection: Connection, on_line: Callable[[bytes], None]):
        super().__init__(token, return_type=dict)
        install(self, connection)
        self._on_line = on_line
        self.ending = _Ending()
        self.connects = 0

    def connect_once(self, params: dict[str, Any]) -> _Ending:
        self.ending = _Ending()
        self.filter(**params)
        return self.ending

    def on_connect(self) -> None:
        self.ending.connected = True
        self.connects += 1

    def on_data(self, raw_data: bytes) -> None:
        self._on_line(raw_data)

    def on_keep_alive(self) -> None:
        """Nothing to do: tweepy has already reset its read timeout."""

    def on_closed(self, response: Any) -> None:
        self.disconnect()

    def on_connection_error(self) -> None:
        self.disconnect()

    def on_request_error(self, status_code: int) -> None:
        self.ending.status = status_code
        self.disconnect()

    def on_exception(self, exception: Exception) -> None:
        self.ending.error = exception  # re-raised by StreamConsumer.run

    def on_disconnect(self) -> None:
        """Reported by StreamConsumer.run."""


class StreamConsumer:
    """Reads the filtered stream into ``sink`` until :meth:`stop` (or ``max_attempts``)."""

    def __init__(
        self, token: str, connection: Connection, brands: BrandMap, sink: Sink, *,
        clock: Clock, sleep: Sleep, backoff: Backoff | None = None,
        cost: CostMeter | None = None,
    ) -> None:  # fmt: skip
        self.brands = brands
        self.sink = sink
        self.clock = clock
        self.sleep = sleep
        self.backoff = backoff or Backoff()
        self.cost = cost
        self.report = StreamReport()
        self._stopping = False
        self._listener = _Listener(token, connection, self._on_line)

    def sync_rules(self, wanted: Sequence[RuleSpec]) -> RuleSync:
        """Make X's rules exactly ``wanted``: delete the others, add the missing ones."""
        with translated():
            current = self._listener.get_rules().get("data") or []
        want = {(r.value, r.tag) for r in wanted}
        stale = [str(r["id"]) for r in current if (r["value"], r.get("tag")) not in want]
        have = {(r["value"], r.get("tag")) for r in current}
        missing = [r for r in wanted if (r.value, r.tag) not in have]
        if stale:
            with translated():
                self._listener.delete_rules(stale)
        if missing:
            with translated():
                answer = self._listener.add_rules(
                    [tweepy.StreamRule(value=r.value, tag=r.tag) for r in missing]
                )
            refused = answer.get("errors") or []
            if refused:
                raise RuleSyncError(
                    "X refused rules: "
                    + "; ".join(f"{e.get('value')!r}: {e.get('details') or e}" for e in refused)
                )
        return RuleSync([r.tag for r in missing], stale, len(current) - len(stale))

    def _on_line(self, raw: bytes) -> None:
        try:
            line = json.loads(raw)
        except ValueError:
            self.sink.reject({"line": raw.decode("utf-8", "replace")}, "stream line is not JSON")
            return
        if not line.get("data"):
            self.report.x_errors += [str(e) for e in line.get("errors", [line])]
            return
        now = self.clock.now()
        if self.cost is not None:
            users = (line.get("includes") or {}).get("users") or []
            self.cost.record(STREAM, Usage.POST_READ, 1, now=now)
            self.cost.record(STREAM, Usage.USER_READ, len(users), now=now)
        events = page_tweet_events(
            line, self.brands, self.sink, received_at=now, source=Source.X_STREAM
        )
        if events:
            self.sink.publish(events)
            self.report.published += len(events)
        else:
            self.report.ignored += 1

    def run(self, *, max_attempts: int | None = None) -> StreamReport:
        """Connect, read, and reconnect after each close or error, until stopped.

        Raises whatever the sink raised (the line was not published; the caller restarts).
        """
        params = {"expansions": list(EXPANSIONS), "tweet_fields": list(TWEET_FIELDS),
                  "user_fields": list(USER_FIELDS)}  # fmt: skip
        failures = 0
        while not self._stopping:
            self.report.attempts += 1
            ending = self._listener.connect_once(params)
            self.report.connections = self._listener.connects
            if ending.error is not None:
                raise ending.error
            if self._stopping or self.report.attempts == max_attempts:
                break
            failures = 1 if ending.connected else failures + 1
            delay = self.backoff.delay(ending.status, failures)
            self.report.waits.append(delay)
            self.sleep(delay)
        return self.report

    def stop(self) -> None:
        """Stop after the line being read (from a sink, another thread or a signal handler)."""
        self._stopping = True
        self._listener.disconnect()
