"""Background loops that must outlive a crash of what they run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("tweetcare.loops")


async def keep_running(
    name: str,
    start: Callable[[], Coroutine[Any, Any, None]],
    stop: asyncio.Event,
    *,
    pause_s: float = 2.0,
) -> None:
    """Run ``start()`` until ``stop``; a crash is logged and the loop started again (a broker
    restart must not leave a service without one of its loops)."""
    while not stop.is_set():
        try:
            await start()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background loop failed; restarting", extra={"loop": name})
            await asyncio.sleep(pause_s)
