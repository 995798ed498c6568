"""Prometheus on loopback, from Debian's ``prometheus`` package, scraping the local services.

The package is fetched with ``apt-get download`` and unpacked with ``dpkg -x`` into the cache:
no system service, nothing installed. Its ``promtool`` checks and tests the alert rules.

Debian's classic web UI (``/classic/graph``) links its JavaScript from ``/usr/share/javascript``
(the ``libjs-*`` packages): those are unpacked into the same folder, and Prometheus reads its pages
from there (``--web.local-assets``).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from services.localinfra.procs import InfraError, port_open, read_pid, start_detached, tail
from services.localinfra.settings import InfraSettings
from services.plumbing.settings import REPO_ROOT

NAME = "prometheus"
DEPLOY = REPO_ROOT / "deploy" / "prometheus"
# What the classic web UI's pages load, by the package that ships it (Debian 12's names).
WEB_PACKAGES = (
    "libjs-jquery", "libjs-bootstrap4", "libjs-d3", "libjs-eonasdan-bootstrap-datetimepicker",
    "libjs-jquery-hotkeys", "libjs-moment", "libjs-moment-timezone", "libjs-mustache",
    "libjs-popper.js", "libjs-rickshaw", "fonts-glyphicons-halflings",
)  # fmt: skip
_WEB = Path("usr/share/prometheus/web")
# libjs-moment-timezone's time zone data of each tz release as JSON (210 MB): the pages load
# moment-timezone-with-data.min.js, which has its own.
_UNUSED = ("usr/share/javascript/moment-timezone/data",)
_WEB_LINE = "web:"

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


def web_assets(settings: InfraSettings) -> Path:
    """The pages and scripts of the classic web UI (``--web.local-assets``)."""
    return home(settings) / _WEB


def installed(settings: InfraSettings) -> bool:
    """The package and every web UI package are unpacked (a cache from before the web UI: no)."""
    try:
        lines = (home(settings) / ".complete").read_text().splitlines()
    except FileNotFoundError:
        return False
    web = next((line.split()[1:] for line in lines if line.startswith(_WEB_LINE)), [])
    return set(WEB_PACKAGES) <= {deb.split("_")[0] for deb in web}


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


def _download(settings: InfraSettings, work: Path) -> list[Path]:
    """``apt-get download`` the package and the web UI's into ``work`` (the package first);
    updates stale package lists (as root)."""
    apt_get = shutil.which("apt-get")
    if apt_get is None or shutil.which("dpkg") is None:
        raise InfraError(_NO_APT)
    argv = [apt_get, "download", "-q", settings.prometheus_package, *WEB_PACKAGES]
    what = " ".join(argv[3:])
    proc = _run(argv, work)
    if proc.returncode != 0 and _LISTS_MISSING.search(proc.stderr + proc.stdout):
        if os.geteuid() != 0:
            raise InfraError(
                f"apt-get cannot find {what!r}; the package lists are probably empty or stale: "
                "run `sudo apt-get update`, then this again"
            )
        updated = _run([apt_get, "update", "-q"], work)
        if updated.returncode != 0:
            raise InfraError(f"apt-get update failed:\n{updated.stderr[-2000:]}")
        proc = _run(argv, work)
    if proc.returncode != 0:
        raise InfraError(
            f"apt-get download {what} failed (is the Debian mirror reachable?):\n"
            f"{(proc.stdout + proc.stderr)[-2000:]}"
        )
    debs = []
    for package in ("prometheus", *WEB_PACKAGES):
        found = sorted(work.glob(f"{package}_*.deb"))
        if len(found) != 1:
            raise InfraError(f"apt-get download left {len(found)} {package} packages in {work}")
        debs.append(found[0])
    return debs


def _relink(root: Path) -> None:
    """Point each absolute symlink (``/usr/share/javascript/...``) whose target was unpacked too
    at that path inside ``root``; the others (documentation's, to the system) stay."""
    for folder, dirs, files in os.walk(root):  # not into linked folders
        for name in dirs + files:
            link = Path(folder) / name
            if not link.is_symlink() or not os.path.isabs(target := os.readlink(link)):
                continue
            inside = root / target.lstrip("/")
            if inside.exists() or inside.is_symlink():
                link.unlink()
                link.symlink_to(os.path.relpath(inside, link.parent))


def _popper_for_scripts(root: Path) -> None:
    """The pages load ``popper.js/popper.min.js`` as a plain script, which Debian's libjs-popper.js
    ships as an ES module (a script error on every page, and Bootstrap's tooltips find no Popper):
    point the link at the package's UMD build instead."""
    link, umd = root / _WEB / "static" / "popper.js", root / "usr/share/javascript/popper.js/umd"
    if link.is_symlink() and (umd / "popper.min.js").is_file():
        link.unlink()
        link.symlink_to(os.path.relpath(umd, link.parent))


def _check_web(root: Path) -> None:
    """Each file of the web UI, through its links, is one unpacked inside ``root``."""
    web, inside = root / _WEB, root.resolve()
    if not (web / "templates" / "graph.html").is_file():
        raise InfraError(f"the prometheus package holds no {_WEB}/templates/graph.html")
    broken = []
    for folder, dirs, files in os.walk(web, followlinks=True):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if not path.exists() or not path.resolve().is_relative_to(inside):
                broken.append(str(path.relative_to(web)))
                if name in dirs:
                    dirs.remove(name)  # what lies beyond is not ours
    if broken:
        raise InfraError(
            f"after unpacking {', '.join(WEB_PACKAGES)} these links of the web UI "
            f"({_WEB}) lead nowhere or out of the cache: {', '.join(sorted(broken)[:10])} "
            "(does Prometheus need another package?)"
        )


@contextmanager
def _fetching(target: Path) -> Iterator[None]:
    """One fetch at a time into ``target`` (a test run and `infra up` may start together)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.with_name(target.name + ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_installed(settings: InfraSettings) -> bool:
    """Fetch and unpack the package and the web UI's unless cached; True when it fetched.

    Everything is unpacked beside the final folder and renamed into place once complete, so an
    interrupted fetch is redone; a cache from before the web UI is fetched again.
    """
    if installed(settings):
        return False
    target = home(settings)
    with _fetching(target):
        if installed(settings):  # another process fetched it while this one waited
            return False
        _fetch(settings, target)
    return True


def _fetch(settings: InfraSettings, target: Path) -> None:
    work = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    work.chmod(0o755)  # as root, apt-get downloads as its sandbox user `_apt` when it can
    deb, *web = _download(settings, work)
    unpacked = work / "root"
    for package in (deb, *web):
        proc = _run(["dpkg", "-x", str(package), str(unpacked)], work)
        if proc.returncode != 0:
            raise InfraError(f"dpkg -x {package.name} failed:\n{proc.stderr[-2000:]}")
    for tool in ("prometheus", "promtool"):
        if not (unpacked / "usr" / "bin" / tool).is_file():
            raise InfraError(f"{deb.name} holds no usr/bin/{tool}")
    for unused in _UNUSED:
        shutil.rmtree(unpacked / unused, ignore_errors=True)
    _relink(unpacked)
    _popper_for_scripts(unpacked)
    _check_web(unpacked)
    # prometheus_2.42.0+ds-5+deb12u1_amd64.deb -> 2.42.0+ds-5+deb12u1
    fetched = deb.name.split("_")[1]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (unpacked / ".complete").write_text(
        f"{fetched} {deb.name} {stamp}\n{_WEB_LINE} {' '.join(p.name for p in web)}\n"
    )
    shutil.rmtree(target, ignore_errors=True)
    unpacked.rename(target)
    shutil.rmtree(work, ignore_errors=True)


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
        f"--web.local-assets={web_assets(settings)}/",  # the classic UI: /classic/graph
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
