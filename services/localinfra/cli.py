"""`tweetcare infra up|down|status|provision`: Kafka, Elasticsearch and Prometheus on loopback."""

from __future__ import annotations

import argparse
import sys
import time
from types import ModuleType
from typing import Any

from services.localinfra import elasticsearch, kafka, prometheus
from services.localinfra.procs import InfraError, stop_pids, wait_until
from services.localinfra.provision import provision_topics, put_templates
from services.localinfra.settings import InfraSettings
from services.plumbing.cli_support import command_group
from services.plumbing.settings import load_settings

COMPONENTS: tuple[ModuleType, ...] = (kafka, elasticsearch, prometheus)
_LABELS = {kafka.NAME: "Kafka", elasticsearch.NAME: "Elasticsearch", prometheus.NAME: "Prometheus"}
_SOURCES = {
    kafka.NAME: "from Maven Central",
    elasticsearch.NAME: "from Maven Central",
    prometheus.NAME: (
        f"from Debian's packages (prometheus and {len(prometheus.WEB_PACKAGES)} of JavaScript "
        "for its web UI; apt-get download)"
    ),
}


def _say(message: str) -> None:
    print(f"tweetcare infra: {message}", flush=True)


def _cached(comp: ModuleType, settings: InfraSettings) -> bool:
    if comp is prometheus:  # a cache from before its web UI lacks the UI's packages
        return prometheus.installed(settings)
    return bool((comp.home(settings) / ".complete").exists())


def _address(settings: InfraSettings, name: str) -> str:
    if name == kafka.NAME:
        return f"{settings.kafka_bootstrap} (KRaft, Kafka {settings.kafka_version})"
    if name == prometheus.NAME:
        ports = ", ".join(str(p) for p in prometheus.service_ports(settings).values())
        return (
            f"{settings.prometheus_url} (Prometheus {prometheus.version(settings)}, "
            f"scraping 127.0.0.1 ports {ports})"
        )
    return f"{settings.es_url} (Elasticsearch {settings.es_version})"


def _await_healthy(comp: ModuleType, settings: InfraSettings) -> bool:
    """Wait until ``comp`` is healthy; give up at once if its process dies (its log says why)."""
    wait_until(
        lambda: bool(comp.healthy(settings)) or not comp.pids(settings),
        settings.start_timeout_s,
    )
    return bool(comp.healthy(settings))


def up(settings: InfraSettings) -> int:
    """Fetch (first time), start, wait until healthy, provision; idempotent."""
    began = time.monotonic()
    _say(f"state in {settings.state_dir}, downloads cached in {settings.cache_dir}")
    for comp in COMPONENTS:
        label = _LABELS[comp.NAME]
        if not _cached(comp, settings):
            _say(f"fetching {label} {_SOURCES[comp.NAME]} (first time only; about a minute)...")
        t0 = time.monotonic()
        if comp.ensure_installed(settings):
            _say(f"fetched {label} in {time.monotonic() - t0:.1f}s into {comp.home(settings)}")
    started: dict[str, float] = {}
    for comp in COMPONENTS:
        # Ours only when our own process answers: a stranger on the port is an error (start).
        if comp.pids(settings) and comp.healthy(settings):
            _say(f"{_LABELS[comp.NAME]} already running")
            continue
        pid = comp.start(settings)
        started[comp.NAME] = time.monotonic()
        _say(f"starting {_LABELS[comp.NAME]} (pid {pid})...")
    for comp in COMPONENTS:
        if comp.NAME not in started:
            continue
        if not _await_healthy(comp, settings):
            _say(comp.failure_hint(settings))
            _say("run `tweetcare infra down` to stop what did start")
            return 1
        _say(f"{_LABELS[comp.NAME]} healthy in {time.monotonic() - started[comp.NAME]:.1f}s")
    provision_topics(settings, _say)
    put_templates(settings)
    _say("index templates installed")
    for comp in COMPONENTS:
        _say(f"{_LABELS[comp.NAME]:<14} {_address(settings, comp.NAME)}")
    _say(f"ready in {time.monotonic() - began:.1f}s")
    return 0


def down(settings: InfraSettings) -> int:
    """Stop what runs, cleanly (SIGTERM, then SIGKILL after a minute); idempotent."""
    for comp in COMPONENTS:
        label = _LABELS[comp.NAME]
        pids = comp.pids(settings)
        if not pids:
            _say(f"{label} is not running")
            continue
        t0 = time.monotonic()
        clean = stop_pids(pids)
        comp.pid_file(settings).unlink(missing_ok=True)
        how = "stopped" if clean else "killed after it ignored SIGTERM"
        _say(f"{label} {how} in {time.monotonic() - t0:.1f}s")
    return 0


def status(settings: InfraSettings) -> int:
    """Say what runs; exit 0 when everything is healthy, 3 otherwise."""
    _say(f"state directory {settings.state_dir} (logs under */logs)")
    all_ok = True
    for comp in COMPONENTS:
        pids = comp.pids(settings)
        ok = bool(pids) and comp.healthy(settings)
        all_ok = all_ok and ok
        if ok:
            what = f"running, healthy (pid {pids[0]}) at {_address(settings, comp.NAME)}"
        elif pids:
            what = f"running (pid {pids[0]}) but not answering; log: {comp.log_file(settings)}"
        else:
            what = "not running"
        _say(f"{_LABELS[comp.NAME]:<14} {what}")
    return 0 if all_ok else 3


def provision(settings: InfraSettings) -> int:
    """Create topics and index templates on already running servers (used by compose)."""
    ok = wait_until(
        lambda: kafka.healthy(settings) and elasticsearch.healthy(settings),
        settings.start_timeout_s,
    )
    if not ok:
        _say(f"Kafka at {settings.kafka_bootstrap} or Elasticsearch at {settings.es_url} not up")
        return 1
    created = provision_topics(settings, _say)
    put_templates(settings)
    _say(f"provisioned: {len(created)} topics created, index templates installed")
    return 0


def _handler(action: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            result: int = action(load_settings(InfraSettings))
        except InfraError as exc:
            print(f"tweetcare infra: error: {exc}", file=sys.stderr)
            return 1
        return result

    return run


def register(subparsers: Any) -> None:
    """Add `tweetcare infra`."""
    group = command_group(
        subparsers, "infra", "local Kafka, Elasticsearch and Prometheus (no Docker needed)"
    )
    for name, action, help_text in (
        ("up", up, "fetch (first time), start and provision Kafka, Elasticsearch, Prometheus"),
        ("down", down, "stop them cleanly"),
        ("status", status, "say what runs and where its state and logs are"),
        ("provision", provision, "create topics and index templates on running servers"),
    ):
        group.add_parser(name, help=help_text).set_defaults(handler=_handler(action))
