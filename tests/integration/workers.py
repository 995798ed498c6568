"""Running a service worker as a subprocess in a test and reading what it wrote."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kafka import KafkaConsumer

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def worker(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m <args>`` with ``env`` added, output to ``log``; terminated on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def consume(
    bootstrap: str,
    topic: str,
    count: int,
    timeout_s: float,
    proc: subprocess.Popen[bytes] | None = None,
) -> list[bytes]:
    """Values of ``topic`` from the start until ``count`` arrived, time ran out or ``proc`` died."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(values) < count and time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                break
            # poll, not iteration: a topic that never goes quiet must not hold us past the count
            for records in consumer.poll(timeout_ms=500, max_records=count - len(values)).values():
                values.extend(r.value for r in records)
    finally:
        consumer.close()
    return values
