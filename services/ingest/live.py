"""The live X sources for one term of the lease: the filtered stream and the pollers, in threads.

:meth:`LiveSources.start` reads the shared cursors back and starts the threads;
:meth:`LiveSources.stop` halts them, waits for the page in hand to be published and its cursor
written, then refuses any later cursor write (a thread still blocked past the wait cannot move a
cursor the next holder of the lease has read). Both block: call them from a thread.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.ingest.brands import BrandMap
from services.ingest.metrics import IngestMetrics
from services.ingest.xapi.client import Connection, XApi, XApiError
from services.ingest.xapi.cost import CostMeter
from services.ingest.xapi.cursor_topic import TopicCursors
from services.ingest.xapi.polling import Poller, resolve_user_ids
from services.ingest.xapi.rules import RuleSpec
from services.ingest.xapi.sink import Sink
from services.ingest.xapi.stream import StreamConsumer
from services.plumbing.clock import Clock

log = logging.getLogger("tweetcare.ingest")


@dataclass(frozen=True)
class LiveConfig:
    token: str
    connection: Connection
    brands: BrandMap
    rules: list[RuleSpec]
    apis: Mapping[str, Any]  # handle → the client with its user token (DMs)
    poll_interval_s: float
    page_size: int


class LiveSources:
    """Starts and stops the X sources; ``open_cursors`` reads the shared cursors (each term)."""

    def __init__(
        self, config: LiveConfig, sink: Sink, open_cursors: Callable[[], TopicCursors], *,
        cost: CostMeter, metrics: IngestMetrics, clock: Clock, join_s: float = 30.0,
    ) -> None:  # fmt: skip
        self.config = config
        self.sink = sink
        self.open_cursors = open_cursors
        self.cost = cost
        self.metrics = metrics
        self.clock = clock
        self.join_s = join_s
        self._halt = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stream: StreamConsumer | None = None
        self._cursors: TopicCursors | None = None

    def start(self) -> None:
        c = self.config
        self._halt = halt = threading.Event()
        self._cursors = cursors = self.open_cursors()
        reader = XApi(c.token, c.connection)
        self._stream = stream = StreamConsumer(
            c.token, c.connection, c.brands, self.sink, clock=self.clock, sleep=time.sleep,
            cost=self.cost,
        )  # fmt: skip
        poller = Poller(reader, c.brands, cursors, self.sink, clock=self.clock, cost=self.cost,
                        page_size=c.page_size)  # fmt: skip
        metrics = self.metrics

        def streaming() -> None:
            _guard("rules", lambda: stream.sync_rules(c.rules), metrics, halt)
            while not halt.is_set():
                _guard("stream", stream.run, metrics, halt)

        def polling() -> None:
            user_ids: dict[str, str] = {}
            while not halt.is_set():
                if not user_ids:
                    resolve = functools.partial(resolve_user_ids, reader, list(c.brands.handles))
                    user_ids = _guard("users", resolve, metrics, halt) or {}
                if user_ids and not halt.is_set():
                    _guard("poll", functools.partial(poller.poll_all, dict(user_ids), c.rules,
                                                     c.apis), metrics, halt)  # fmt: skip
                halt.wait(c.poll_interval_s)

        self._threads = [
            threading.Thread(target=f, name=f.__name__, daemon=True) for f in (streaming, polling)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._halt.set()
        if self._stream is not None:
            self._stream.stop()
        deadline = time.monotonic() + self.join_s
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._cursors is not None:
            self._cursors.end()
        self._threads, self._stream, self._cursors = [], None, None


def _guard(
    what: str, work: Callable[[], Any], metrics: IngestMetrics, halt: threading.Event
) -> Any:
    """Run one round of a source; an error is logged and counted, then waited out (never fatal)."""
    try:
        return work()
    except XApiError as exc:
        metrics.api_errors.labels(what, exc.code).inc()
        log.warning("X call failed", extra={"source": what, "code": exc.code, "detail": exc.detail})
    except Exception as exc:
        metrics.api_errors.labels(what, type(exc).__name__).inc()
        log.exception("source failed", extra={"source": what})
    halt.wait(5.0)
    return None
