"""The whole system for end-to-end tests: `tweetcare demo` on free ports, and Chromium.

The demo runs on the product's topics and indices (the services have no per-test names), on the
real Kafka and Elasticsearch it starts when they are not running (and leaves running). Its SLA
policy is short (first response 45 s) so a breach happens while the test watches. The demo is
always stopped at the end: SIGTERM, then `tweetcare demo stop` for any child left behind.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 180
FIRST_RESPONSE_S = 45
POLICY = f"""\
# tests/e2e: short targets, so breaches happen while the test watches.
warn_at: [0.5, 0.8]
reopen_window: 1d
default: {{first_response: {FIRST_RESPONSE_S}s, next_response: 2m, resolution: 30m}}
escalation:
  on_warning: []
  on_breach: []
"""
_TOKEN = re.compile(r"^\s+(agent|supervisor) token\s+(\S+)\s*$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Demo:
    """A running `tweetcare demo`: its console address, tokens, environment and output."""

    url: str
    started_at: datetime  # cases opened before are another run's
    env: dict[str, str]
    tokens: dict[str, str]
    proc: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def token(self, name: str, role: str) -> str:
        """A new token for ``name`` with ``role`` (`tweetcare api token create`)."""
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", "api", "token", "create",
             "--name", name, "--role", role],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"token create failed: {done.stderr}"
        return done.stdout.strip().splitlines()[0]


def _read(proc: subprocess.Popen[str], lines: list[str], log: Path) -> None:
    assert proc.stdout is not None
    with log.open("w") as out:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            out.write(line)
            out.flush()


def _stop(demo_proc: subprocess.Popen[str], env: dict[str, str]) -> None:
    if demo_proc.poll() is None:
        demo_proc.send_signal(signal.SIGTERM)
        try:
            demo_proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            demo_proc.kill()
            demo_proc.wait()
    # Children a killed supervisor left behind are recorded in its state directory.
    subprocess.run(
        [sys.executable, "-m", "services.cli", "demo", "stop"],
        cwd=ROOT, env=env, capture_output=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`tweetcare demo --keep-infra` on free ports with the short policy; stopped afterwards."""
    home = tmp_path_factory.mktemp("demo")
    policy = home / "policy.yaml"
    policy.write_text(POLICY)
    api_port = free_port()
    env = {
        **os.environ,
        "TWEETCARE_API_PORT": str(api_port),
        "TWEETCARE_INGEST_METRICS_PORT": str(free_port()),
        "TWEETCARE_TRIAGE_METRICS_PORT": str(free_port()),
        "TWEETCARE_SLA_METRICS_PORT": str(free_port()),
        "TWEETCARE_DEMO_STATE_DIR": str(home / "state"),
        "TWEETCARE_SLA_POLICY": str(policy),
        "TWEETCARE_INGEST_GENERATE_PER_MINUTE": "60",
        "PYTHONUNBUFFERED": "1",
    }
    started_at = datetime.now(UTC)
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "demo", "--keep-infra"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    threading.Thread(target=_read, args=(proc, lines, home / "demo.out"), daemon=True).start()
    try:
        tokens: dict[str, str] = {}
        deadline = time.monotonic() + READY_TIMEOUT_S
        while len(tokens) < 2:
            assert proc.poll() is None, "the demo stopped while starting:\n" + "\n".join(lines)
            assert time.monotonic() < deadline, "the demo was not ready in time:\n" + "\n".join(
                lines
            )
            for line in list(lines):
                match = _TOKEN.match(line)
                if match:
                    tokens[match.group(1)] = match.group(2)
            time.sleep(0.2)
        yield Demo(f"http://127.0.0.1:{api_port}/", started_at, env, tokens, proc, lines)
    finally:
        _stop(proc, env)
    assert proc.returncode is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Keep each phase's report on the test, so a fixture can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
