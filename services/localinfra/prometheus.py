"""Prometheus on loopback, from Debian's ``prometheus`` package, scraping the local services.

The package is fetched with ``apt-get download`` and unpacked with ``dpkg -x`` into the cache:
no system service, nothing installed. Its ``promtool`` checks and tests the alert rules.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from services.localinfra.procs import InfraError, port_open, read_pid, start_detached, tail
from services.localinfra.settings import InfraSettings
from services.plumbing.settings import REPO_ROOT

NAME = "prometheus"
DEPLOY = REPO_ROOT / "deploy" / "prometheus"

_NO_APT = (
    "Prometheus is fetched from Debian's package with apt-get and dpkg, which this system lacks: "
    "use Docker (docker compose up) for Prometheus"
)
# What apt-get says when its package lists are empty (a fresh machine) or stale.
_LISTS_MISSING = re.compile(
    r"Unable to locate package|has no installation candidate|Can't select candidate|"
    r"Failed to fetch|404\s+Not Found"
)


def home(settings: InfraSettings) -> Path:
    """The unpacked package (its ``usr/bin`` holds ``prometheus`` and ``promtool``)."""
    return settings.cache_dir / f"prometheus-{_pin(settings) or 'debian'}"


def _pin(settings: InfraSettings) -> str:
    return settings.prometheus_package.partition("=")[2]


def binary(settings: InfraSettings, name: str = "prometheus") -> Path:
    """``prometheus`` or ``promtool`` from the cached package."""
    return home(settings) / "usr" / "bin" / name


def version(settings: InfraSettings) -> str:
    """The Debian version that was fetched (recorded in ``.complete``), or ``?``."""
    try:
        return (home(settings) / ".complete").read_text().split()[0]
    except (FileNotFoundError, IndexError):
        return "?"


def state(settings: InfraSettings) -> Path:
    return settings.state_dir / NAME


def pid_file(settings: InfraSettings) -> Path:
    return state(settings) / "prometheus.pid"


def log_file(settings: InfraSettings) -> Path:
    return state(settings) / "logs" / "prometheus.log"


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=env)


def _download(settings: InfraSettings, work: Path) -> Path:
    """``apt-get download`` the package into ``work``; updates stale package lists (as root)."""
    apt_get = shutil.which("apt-get")
    if apt_get is None or shutil.which("dpkg") is None:
        raise InfraError(_NO_APT)
    argv = [apt_get, "download", "-q", settings.prometheus_package]
    proc = _run(argv, work)
    if proc.returncode != 0 and _LISTS_MISSING.search(proc.stderr + proc.stdout):
        if os.geteuid() != 0:
            raise InfraError(
                f"apt-get cannot find {settings.prometheus_package!r}; the package lists are "
                "probably empty or stale: run `sudo apt-get update`, then this again"
            )
        updated = _run([apt_get, "update", "-q"], work)
        if updated.returncode != 0:
            raise InfraError(f"apt-get update failed:\n{updated.stderr[-2000:]}")
        proc = _run(argv, work)
    if proc.returncode != 0:
        raise InfraError(
            f"apt-get download {settings.prometheus_package} failed (is the Debian mirror "
            f"reachable?):\n{(proc.stdout + proc.stderr)[-2000:]}"
        )
    debs = sorted(work.glob("prometheus_*.deb"))
    if len(debs) != 1:
        raise InfraError(f"apt-get download left {len(debs)} packages in {work}, expected one")
    return debs[0]


def ensure_installed(settings: InfraSettings) -> bool:
    """Fetch and unpack the package unless cached; True when it fetched."""
    target = home(settings)
    if (target / ".complete").exists():
        return False
    work = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    work.chmod(0o755)  # as root, apt-get downloads as its sandbox user `_apt` when it can
    deb = _download(settings, work)
    unpacked = work / "root"
    proc = _run(["dpkg", "-x", str(deb), str(unpacked)], work)
    if proc.returncode != 0:
        raise InfraError(f"dpkg -x {deb.name} failed:\n{proc.stderr[-2000:]}")
    for tool in ("prometheus", "promtool"):
        if not (unpacked / "usr" / "bin" / tool).is_file():
            raise InfraError(f"{deb.name} holds no usr/bin/{tool}")
    # prometheus_2.42.0+ds-5+deb12u1_amd64.deb -> 2.42.0+ds-5+deb12u1
    fetched = deb.name.split("_")[1]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (unpacked / ".complete").write_text(f"{fetched} {deb.name} {stamp}\n")
    shutil.rmtree(target, ignore_errors=True)
    unpacked.rename(target)
    shutil.rmtree(work, ignore_errors=True)
    return True


def service_ports(settings: InfraSettings) -> dict[str, int]:
    """The metrics port of each service, by its name in deploy/prometheus/prometheus.yml."""
    return {
        "api": settings.api_port,
        "ingest": settings.ingest_metrics_port,
        "triage": settings.triage_metrics_port,
        "sla": settings.sla_metrics_port,
    }


def scrape_config(settings: InfraSettings, rules: Path) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with the services on loopback and ``rules`` as rules.

    The jobs, intervals and rules are the deployed ones; only where things are differs.
    """
    config: dict[str, Any] = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    ports = service_ports(settings)
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            local = []
            for target in static["targets"]:
                host = target.rsplit(":", 1)[0]
                if host not in ports:
                    raise InfraError(f"deploy/prometheus/prometheus.yml: unknown target {target}")
                local.append(f"127.0.0.1:{ports[host]}")
            static["targets"] = local
    config["rule_files"] = [str(rules)]
    return config


def configure(settings: InfraSettings) -> Path:
    """Write the configuration (and a copy of the alert rules) into the state directory."""
    config_dir = state(settings) / "config"
    for path in (config_dir, state(settings) / "data", state(settings) / "logs"):
        path.mkdir(parents=True, exist_ok=True)
    rules = config_dir / "alerts.yml"
    shutil.copyfile(DEPLOY / "alerts.yml", rules)
    config = config_dir / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(settings, rules), sort_keys=False))
    return config


def start(settings: InfraSettings) -> int:
    """Start Prometheus in the background; returns its pid (already running: the running pid)."""
    running = read_pid(pid_file(settings))
    if running is not None:
        return running
    if port_open("127.0.0.1", settings.prometheus_port):
        raise InfraError(
            f"port {settings.prometheus_port} is taken by another program: stop it, or choose "
            "another port with TWEETCARE_PROMETHEUS_URL"
        )
    config = configure(settings)
    argv = [
        str(binary(settings)),
        f"--config.file={config}",
        f"--storage.tsdb.path={state(settings) / 'data'}",
        "--storage.tsdb.retention.time=7d",
        f"--web.listen-address=127.0.0.1:{settings.prometheus_port}",
    ]
    return start_detached(
        argv, log_file=log_file(settings), pid_file=pid_file(settings), env=dict(os.environ),
        cwd=state(settings),
    )  # fmt: skip


def healthy(settings: InfraSettings) -> bool:
    """Prometheus says it is ready to serve queries."""
    if not port_open("127.0.0.1", settings.prometheus_port):
        return False
    try:
        # The URL is our own http(s) setting (validated in InfraSettings).
        ready = f"{settings.prometheus_url}/-/ready"
        with urllib.request.urlopen(ready, timeout=3) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def failure_hint(settings: InfraSettings) -> str:
    return f"Prometheus did not become ready; its log ({log_file(settings)}) ends:\n" + tail(
        log_file(settings)
    )


def pids(settings: InfraSettings) -> list[int]:
    pid = read_pid(pid_file(settings))
    return [] if pid is None else [pid]
