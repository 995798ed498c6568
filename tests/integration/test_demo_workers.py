"""`tweetcare demo --workers 2` in a namespace of its own: two workers each of triage and the
SLA service start, join their consumer groups and share the input partitions between them
(each reports lag for its own partitions only: together all of them, none twice)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from services.demo.namespace import Namespace, remove
from services.localinfra.settings import InfraSettings
from tests.integration.workers import ROOT, free_port

pytestmark = pytest.mark.kafka

PARTITIONS = 4  # the product's (TWEETCARE_KAFKA_PARTITIONS)


def _partitions(port: int, topic: str) -> set[int]:
    """The partitions of ``topic`` the worker on ``port`` reports lag for."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
        text = page.read().decode()
    found = set()
    for line in text.splitlines():
        if line.startswith("tweetcare_kafka_consumer_lag{") and f'topic="{topic}"' in line:
            found.add(int(line.split('partition="', 1)[1].split('"', 1)[0]))
    return found


def test_two_workers_each_of_triage_and_sla_share_the_partitions(
    kafka_bootstrap: str, infra: InfraSettings, tmp_path: Path
) -> None:
    name = f"test-workers-{uuid.uuid4().hex[:6]}"
    space = Namespace(name, "tweetcare")
    base = {"api": free_port(), "ingest": free_port(), "triage": 0, "sla": 0}
    while not (base["triage"] and base["sla"]):  # n and n + 10 both free, for worker 1 and 2
        port = free_port()
        if port + 10 < 65536:
            base["triage" if not base["triage"] else "sla"] = port
    env = {
        **os.environ,
        "TWEETCARE_DEMO_NAMESPACE": name,
        "TWEETCARE_DEMO_STATE_DIR": str(tmp_path / "state"),
        "TWEETCARE_API_PORT": str(base["api"]),
        "TWEETCARE_INGEST_METRICS_PORT": str(base["ingest"]),
        "TWEETCARE_TRIAGE_METRICS_PORT": str(base["triage"]),
        "TWEETCARE_SLA_METRICS_PORT": str(base["sla"]),
        "TWEETCARE_INGEST_GENERATE_PER_MINUTE": "600",
        "PYTHONUNBUFFERED": "1",
    }
    out = (tmp_path / "demo.out").open("w")
    demo = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "demo", "--keep-infra", "--workers", "2"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    found: dict[str, list[set[int]]] = {}
    try:
        deadline = time.monotonic() + 240
        log = ""
        while time.monotonic() < deadline and demo.poll() is None:
            log = (tmp_path / "demo.out").read_text(errors="replace")
            if "tweetcare is running" in log:
                break
            time.sleep(1)
        assert "tweetcare is running" in log, log[-3000:]
        raw, triaged = space.named("tweets.raw"), space.named("tweets.triaged")
        while time.monotonic() < deadline:
            found = {
                "triage": [_partitions(base["triage"] + 10 * n, raw) for n in (0, 1)],
                "sla": [_partitions(base["sla"] + 10 * n, triaged) for n in (0, 1)],
            }
            if all(a and b and a | b == set(range(PARTITIONS)) for a, b in found.values()):
                break
            time.sleep(2)
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(timeout=90)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
        out.close()
        remove(space, kafka_bootstrap, infra.es_url)
    log = (tmp_path / "demo.out").read_text(errors="replace")
    assert "2 workers each of triage and sla" in log
    for service, (first, second) in found.items():
        assert first, (service, found)
        assert second, (service, found)
        assert first | second == set(range(PARTITIONS)), (service, found)
        assert not first & second, (service, found)
