"""Start the four services as child processes, watch them, stop them all.

Each child runs ``python -m services.cli <service> run`` in its own session with its output in
``<state dir>/<name>.log``; their pids are recorded so `tweetcare demo stop` (and `make down`)
can stop a demo whose supervisor was killed.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.localinfra.procs import is_alive, start_detached, stop_pids, tail

PIDS_FILE = "pids.json"


@dataclass(frozen=True)
class Child:
    name: str
    argv: tuple[str, ...]
    ready_url: str | None  # answers 200 when the child is ready
    env: Mapping[str, str] = field(default_factory=dict)  # added to the shared environment


@dataclass
class Running:
    child: Child
    pid: int
    log: Path


def python_module(*args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "services.cli", *args)


def start(children: Sequence[Child], state_dir: Path, env: Mapping[str, str]) -> list[Running]:
    """Start every child; record their pids."""
    state_dir.mkdir(parents=True, exist_ok=True)
    running: list[Running] = []
    for child in children:
        log = state_dir / f"{child.name}.log"
        log.write_bytes(b"")
        pid = start_detached(
            child.argv, log_file=log, pid_file=state_dir / f"{child.name}.pid",
            env={**env, **child.env},
            cwd=Path.cwd(),
        )  # fmt: skip
        running.append(Running(child, pid, log))
        _record(state_dir, running)
    return running


def _record(state_dir: Path, running: Sequence[Running]) -> None:
    (state_dir / PIDS_FILE).write_text(json.dumps({r.child.name: r.pid for r in running}))


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_ready(
    running: Sequence[Running], timeout_s: float, say: Callable[[str], None]
) -> Running | None:
    """Wait until every child answers its ready URL; the first child that died instead, or
    None when all are ready (raises TimeoutError past ``timeout_s``)."""
    began = time.monotonic()
    waiting = {r.child.name: r for r in running if r.child.ready_url}
    while waiting:
        for name, r in list(waiting.items()):
            if not is_alive(r.pid):
                return r
            assert r.child.ready_url is not None
            if answers(r.child.ready_url):
                say(f"{name} ready in {time.monotonic() - began:.1f}s")
                del waiting[name]
        if time.monotonic() - began > timeout_s:
            raise TimeoutError(", ".join(sorted(waiting)))
        time.sleep(0.25)
    return None


def first_dead(running: Sequence[Running]) -> Running | None:
    return next((r for r in running if not is_alive(r.pid)), None)


def stop(running: Sequence[Running], state_dir: Path) -> None:
    """Stop the children, last started first."""
    for r in reversed(running):
        stop_pids([r.pid], grace_s=20)
    (state_dir / PIDS_FILE).unlink(missing_ok=True)


def stop_recorded(state_dir: Path) -> list[str]:
    """Stop the children a previous demo recorded (its supervisor may be gone)."""
    try:
        pids: dict[str, int] = json.loads((state_dir / PIDS_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return []
    alive = {name: pid for name, pid in pids.items() if is_alive(pid)}
    for pid in reversed(list(alive.values())):
        stop_pids([pid], grace_s=20)
    (state_dir / PIDS_FILE).unlink(missing_ok=True)
    return list(alive)


def last_lines(r: Running) -> str:
    return tail(r.log, 15)


__all__ = ["Child", "Running", "os"]
