"""The fault suite's fixtures: progress shown past pytest's capture, the private infrastructure
(started once, always stopped) and the four services on it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.faults.system import PrivateInfra, Say, Services

PER_MINUTE = 150  # the generated stream: 2.5 tweets a second


@pytest.fixture(scope="session")
def say(request: pytest.FixtureRequest) -> Say:
    """Print a progress line now, whatever pytest captures."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    began = time.monotonic()

    def emit(message: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"[faults {time.monotonic() - began:5.0f}s] {message}", flush=True)

    return emit


@pytest.fixture(scope="session")
def infra(say: Say) -> Iterator[PrivateInfra]:
    private = PrivateInfra(say)
    try:
        private.up()
        yield private
    finally:
        say("stopping the private Kafka and Elasticsearch")
        private.down()


@pytest.fixture(scope="session")
def services(
    infra: PrivateInfra, say: Say, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    system = Services.create(infra.settings, tmp_path_factory.mktemp("faults"), say, PER_MINUTE)
    say(f"starting triage, sla, api and ingest (logs in {system.home})")
    try:
        system.start_all()
        yield system
    finally:
        system.stop_all()
