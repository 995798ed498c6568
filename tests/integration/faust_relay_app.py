"""A faust worker for the integration tests: decode with the codec, relay or dead-letter.

Run as ``python -m tests.integration.faust_relay_app worker``; the topics come from settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from services.plumbing.clock import SYSTEM_CLOCK
from services.plumbing.contracts.codecs import DEAD_LETTERS, TWEETS_RAW
from services.plumbing.contracts.deadletter import DeadLetter
from services.plumbing.deadletters import decode
from services.plumbing.faust_app import add_ops_pages, make_app
from services.plumbing.metrics import DlqMetrics, new_registry
from services.plumbing.records import Record
from services.plumbing.settings import KafkaSettings, load_settings


class RelaySettings(KafkaSettings):
    relay_app_id: str
    relay_in: str
    relay_out: str
    relay_dlq: str
    relay_web_port: int


settings = load_settings(RelaySettings)
app = make_app(settings.relay_app_id, settings, web_port=settings.relay_web_port)
registry = new_registry()
metrics = DlqMetrics(registry)
add_ops_pages(app, registry)
source = app.topic(settings.relay_in)
relayed = app.topic(settings.relay_out)
dead = app.topic(settings.relay_dlq)


@app.agent(source)
async def relay(stream: Any) -> AsyncIterator[None]:
    async for event in stream.events():
        message = event.message
        result = decode(
            TWEETS_RAW, Record.of(message), consumer="faust-relay-test", now=SYSTEM_CLOCK.now()
        )
        if isinstance(result, DeadLetter):
            metrics.dead_letters.labels(message.topic, result.reason_code.value).inc()
            await dead.send(key=message.key, value=DEAD_LETTERS.encode(result))
        else:
            await relayed.send(key=result.case_key.encode(), value=TWEETS_RAW.encode(result))
        yield None


if __name__ == "__main__":
    app.main()
