"""Escalation webhooks: the fired warning or breach POSTed to the policy's URL, with retries.

A delivery is retried when the receiver may take it later (no answer, a timeout, 429, 5xx), after
1, 2, 4, 8 and 16 s; a 4xx other than 429 is final (the receiver refuses this body). The event id
goes in ``X-Tweetcare-Event-Id`` so a receiver that got a retry twice can drop it. Webhook URLs
often carry a secret in their path or query: logs name the scheme and host only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

import httpx

log = logging.getLogger("tweetcare.sla")
DELAYS: tuple[float, ...] = (1, 2, 4, 8, 16)
"""Seconds before each retry."""


def redacted(url: str) -> str:
    """``https://hooks.example.com/…``: where a webhook goes, without its path, query or user."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def retryable(status: int | None) -> bool:
    """Whether a delivery that got ``status`` (None: no answer) may succeed later."""
    return status is None or status == 429 or status >= 500


async def deliver(
    url: str, body: bytes, event_id: str, *,
    delays: Sequence[float] = DELAYS, timeout_s: float = 5.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bool:  # fmt: skip
    """POST ``body`` to ``url`` until it is taken (True) or refused / out of retries (False)."""
    headers = {"Content-Type": "application/json", "X-Tweetcare-Event-Id": event_id}
    where = redacted(url)
    async with httpx.AsyncClient(timeout=timeout_s) as client:
        for attempt in range(len(delays) + 1):
            status: int | None = None
            try:
                response = await client.post(url, content=body, headers=headers)
                status = response.status_code
                if status < 400:
                    return True
                reason = f"HTTP {status}"
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}"[:200].replace(url, where)
            final = not retryable(status) or attempt == len(delays)
            log.warning(
                "escalation webhook failed" + ("" if final else "; retrying"),
                extra={"url": where, "event_id": event_id, "attempt": attempt + 1,
                       "reason": reason},
            )  # fmt: skip
            if final:
                return False
            await sleep(delays[attempt])
    return False
