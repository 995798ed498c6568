"""A faust worker that finishes ``TWEETCARE_LAG_TAKE`` messages and hangs on the next one, as a
stuck handler would; it reports its lag on /metrics like every tweetcare worker.

Run as ``python -m tests.integration.faust_lag_app worker``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from services.plumbing.faust_app import add_ops_pages, make_app
from services.plumbing.lag import faust_lag
from services.plumbing.metrics import new_registry
from services.plumbing.settings import KafkaSettings, load_settings


class LagAppSettings(KafkaSettings):
    lag_app_id: str
    lag_in: str
    lag_take: int
    lag_web_port: int


settings = load_settings(LagAppSettings)
# Commit often so the test sees the committed offset soon.
app = make_app(settings.lag_app_id, settings, web_port=settings.lag_web_port,
               broker_commit_interval=0.5)  # fmt: skip
registry = new_registry()
add_ops_pages(app, registry)
faust_lag(app, registry)


@app.agent(app.topic(settings.lag_in))
async def work(stream: Any) -> None:
    done = 0
    async for _ in stream:
        if done == settings.lag_take:
            await asyncio.Event().wait()  # never set: stuck on this message
        done += 1


if __name__ == "__main__":
    app.main()
