"""The triage worker's consumer asks the broker for fuller fetches (issue 12): the consumer faust
makes for an app built with :class:`Fetching` carries its minimum bytes and wait; an app built
without keeps aiokafka's defaults (answer with the first byte, wait at most 1.5 s)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust

from services.plumbing.faust_app import Fetching, make_app
from services.plumbing.settings import KafkaSettings
from services.triage.service import build_app
from services.triage.settings import TriageSettings


def _fetch_settings(app: faust.App) -> tuple[int, int]:
    async def made() -> tuple[int, int]:
        consumer: Any = app.consumer._thread._create_worker_consumer(app.transport)
        try:
            return consumer._fetch_min_bytes, consumer._fetch_max_wait_ms
        finally:
            await consumer.stop()

    return asyncio.run(made())


def test_an_app_built_with_fetching_fetches_so() -> None:
    app = make_app("test-fetching", KafkaSettings(), fetching=Fetching(32_768, 40))
    assert _fetch_settings(app) == (32_768, 40)


def test_an_app_built_without_keeps_aiokafkas_defaults() -> None:
    assert _fetch_settings(make_app("test-plain", KafkaSettings())) == (1, 1500)


def test_the_triage_worker_fetches_as_its_settings_say() -> None:
    default = TriageSettings()
    assert _fetch_settings(build_app(default)) == (65_536, 50)
    tuned = TriageSettings(triage_fetch_min_bytes=1, triage_fetch_max_wait_ms=10)
    assert _fetch_settings(build_app(tuned)) == (1, 10)
