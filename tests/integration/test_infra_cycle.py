"""`tweetcare infra up|down|status` on a second state directory and spare ports.

It starts its own Kafka, Elasticsearch and Prometheus beside the ones the suite uses, reusing the
cached downloads, and proves: up twice, status, down twice, down then up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.localinfra.provision import topic_names
from services.localinfra.settings import InfraSettings

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


@pytest.fixture
def spare_env(infra: InfraSettings) -> Iterator[dict[str, str]]:
    # Not under pytest's tmp_path: as root, Elasticsearch's own user must be able to enter it.
    state = Path(tempfile.mkdtemp(prefix="tweetcare-cycle-"))
    state.chmod(0o755)
    env = {
        **os.environ,
        "TWEETCARE_STATE_DIR": str(state),
        "TWEETCARE_CACHE_DIR": str(infra.cache_dir),
        "TWEETCARE_KAFKA_BOOTSTRAP": "127.0.0.1:19092",
        "TWEETCARE_KAFKA_CONTROLLER_PORT": "19093",
        "TWEETCARE_ES_URL": "http://127.0.0.1:19200",
        "TWEETCARE_ES_TRANSPORT_PORT": "19300",
        "TWEETCARE_KAFKA_PARTITIONS": "2",
        "TWEETCARE_PROMETHEUS_URL": "http://127.0.0.1:19090",
    }
    yield env
    _infra("down", env)
    shutil.rmtree(state, ignore_errors=True)


def _infra(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "infra", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_up_twice_status_down_twice_then_up(spare_env: dict[str, str]) -> None:
    first = _infra("up", spare_env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"{len(topic_names())} created, partitions 2" in first.stdout
    assert "127.0.0.1:19092" in first.stdout
    assert "http://127.0.0.1:19200" in first.stdout
    assert "Prometheus     http://127.0.0.1:19090" in first.stdout

    second = _infra("up", spare_env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Kafka already running" in second.stdout
    assert "Elasticsearch already running" in second.stdout
    assert "Prometheus already running" in second.stdout
    assert "topics: all present" in second.stdout

    running = _infra("status", spare_env)
    assert running.returncode == 0
    assert running.stdout.count("running, healthy") == 3
    assert spare_env["TWEETCARE_STATE_DIR"] in running.stdout

    stopped = _infra("down", spare_env)
    assert stopped.returncode == 0
    assert "Kafka stopped" in stopped.stdout
    assert "Elasticsearch stopped" in stopped.stdout
    assert "Prometheus stopped" in stopped.stdout
    again = _infra("down", spare_env)
    assert again.returncode == 0
    assert "Kafka is not running" in again.stdout
    assert "Elasticsearch is not running" in again.stdout
    assert "Prometheus is not running" in again.stdout
    after = _infra("status", spare_env)
    assert after.returncode == 3
    assert after.stdout.count("not running") == 3

    restarted = _infra("up", spare_env)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert "topics: all present" in restarted.stdout  # the data survived down/up


def test_port_taken_by_another_program_is_a_clear_error(
    spare_env: dict[str, str], infra: InfraSettings
) -> None:
    env = {**spare_env, "TWEETCARE_KAFKA_BOOTSTRAP": infra.kafka_bootstrap}
    taken = _infra("up", env)
    assert taken.returncode == 1
    assert f"port {infra.kafka_port} is taken by another program" in taken.stderr
    assert "TWEETCARE_KAFKA_BOOTSTRAP" in taken.stderr
