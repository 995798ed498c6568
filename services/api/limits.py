"""What one token may use: a request rate (a token bucket per API token), exports held at once
(each holds an Elasticsearch point in time), and the size of a request body.

The deciding code is pure: :func:`take` decides from a bucket and the time it is given; the
limiter and the export slots keep their state in memory, per API replica (a balancer spreading a
token over n replicas lets it n times the rate).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.error_handlers import body
from services.api.errors import TooManyRequestsError


@dataclass(frozen=True)
class Bucket:
    """A token bucket: ``tokens`` left at monotonic time ``at``."""

    tokens: float
    at: float


def take(bucket: Bucket | None, now: float, rate: float, burst: float) -> tuple[Bucket, float]:
    """Take one request from ``bucket`` (None: a full one) at ``now``, refilled at ``rate`` per
    second up to ``burst``: the bucket after, and 0.0 when the request may go, else the seconds
    until it may (the bucket is then unchanged but for its refill)."""
    if bucket is None:
        tokens = burst
    else:
        tokens = min(burst, bucket.tokens + max(0.0, now - bucket.at) * rate)
    if tokens >= 1.0:
        return Bucket(tokens - 1.0, now), 0.0
    return Bucket(tokens, now), (1.0 - tokens) / rate


class RateLimiter:
    """A token bucket per key (an API token's id); remembers at most ``keys`` of them (the
    longest unused is forgotten, which only ever lets it start full)."""

    def __init__(self, rate: float, burst: int, keys: int = 10_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._keys = keys
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def check(self, key: str, now: float) -> None:
        """Count one request of ``key`` at ``now``; :class:`TooManyRequestsError`
        (``rate_limited``, with the seconds to wait) when it is over its rate."""
        bucket, wait = take(self._buckets.pop(key, None), now, self.rate, self.burst)
        self._buckets[key] = bucket
        if len(self._buckets) > self._keys:
            self._buckets.popitem(last=False)
        if wait > 0:
            raise TooManyRequestsError(
                "rate_limited",
                f"this token sent more than {self.rate:g} requests a second "
                f"(bursts of {self.burst:g}); try again shortly",
                wait,
            )


class ExportSlots:
    """How many exports each key (an API token's id) runs at once, at most ``per_key``."""

    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self._held: Counter[str] = Counter()

    def acquire(self, key: str) -> ExportLease:
        """A slot for one export of ``key``; :class:`TooManyRequestsError`
        (``too_many_exports``) when it already runs ``per_key``."""
        if self._held[key] >= self.per_key:
            raise TooManyRequestsError(
                "too_many_exports",
                f"this token already runs {self.per_key} exports; wait for one to finish",
                10.0,
            )
        self._held[key] += 1
        return ExportLease(self, key)

    def held(self, key: str) -> int:
        return self._held[key]

    def _release(self, key: str) -> None:
        self._held[key] -= 1
        if self._held[key] <= 0:
            del self._held[key]


class ExportLease:
    """One export's slot; :meth:`release` gives it back (again is a no-op)."""

    def __init__(self, slots: ExportSlots, key: str) -> None:
        self._slots = slots
        self._key = key
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots._release(self._key)


class BodyLimit:
    """ASGI middleware refusing a request body over ``max_bytes`` with 413 (``body_too_large``):
    by its ``Content-Length`` before a byte is read, or, sent in chunks with no length, as soon
    as what was read passes the limit (the app is then told the client went away, and what it
    answers is dropped for the 413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = JSONResponse(
            body("body_too_large", f"the request body is over {self.max_bytes} bytes"),
            status_code=413,
        )
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await refused(scope, receive, send)
                return
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the app's answer to a "disconnect" we made up
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await refused(scope, receive, send)
