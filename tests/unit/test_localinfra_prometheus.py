"""Fetching Prometheus from Debian's package and the scrape configuration it runs with.

apt-get is replaced by a script on PATH that behaves like apt-get on a fresh machine (no package
lists until `apt-get update`) and serves a small package built here with dpkg-deb.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from services.localinfra import prometheus
from services.localinfra.procs import InfraError
from services.localinfra.settings import InfraSettings

_FAKE_APT = """#!/bin/sh
echo "$@" >> "{log}"
case "$1" in
  update) touch "{lists}"; exit 0 ;;
  download)
    if [ ! -e "{lists}" ]; then echo "E: Unable to locate package prometheus" >&2; exit 100; fi
    cp "{deb}" . ;;
esac
"""


def _deb(tmp: Path) -> Path:
    root = tmp / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: prometheus\nVersion: 2.42.0+ds-5+deb12u1\nArchitecture: amd64\n"
        "Maintainer: test <test@example.org>\nDescription: test\n"
    )
    (root / "usr" / "bin").mkdir(parents=True)
    for tool in ("prometheus", "promtool"):
        (root / "usr" / "bin" / tool).write_text("#!/bin/sh\n")
        (root / "usr" / "bin" / tool).chmod(0o755)
    deb = tmp / "prometheus_2.42.0+ds-5+deb12u1_amd64.deb"
    subprocess.run(["dpkg-deb", "--build", str(root), str(deb)], check=True, capture_output=True)
    return deb


@pytest.fixture
def fresh_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake apt-get first on PATH; returns the file that logs its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    script = _FAKE_APT.format(log=log, lists=tmp_path / "lists", deb=_deb(tmp_path))
    (bin_dir / "apt-get").write_text(script)
    (bin_dir / "apt-get").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def _settings(tmp_path: Path) -> InfraSettings:
    return InfraSettings(cache_dir=tmp_path / "cache", state_dir=tmp_path / "state")


def test_a_fresh_machine_gets_package_lists_then_the_package(
    fresh_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    settings = _settings(tmp_path)

    assert prometheus.ensure_installed(settings) is True

    calls = fresh_machine.read_text().split("\n")
    assert [c.split()[0] for c in calls if c] == ["download", "update", "download"]
    assert os.access(prometheus.binary(settings, "promtool"), os.X_OK)
    assert prometheus.version(settings) == "2.42.0+ds-5+deb12u1"
    assert not list(settings.cache_dir.glob("*.partial"))
    assert prometheus.ensure_installed(settings) is False  # cached: no second fetch


def test_without_root_stale_lists_are_an_error_naming_the_fix(
    fresh_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(InfraError, match=r"sudo apt-get update"):
        prometheus.ensure_installed(_settings(tmp_path))
    assert not (prometheus.home(_settings(tmp_path)) / ".complete").exists()


def test_a_pinned_version_gets_its_own_cache_directory(tmp_path: Path) -> None:
    pinned = InfraSettings(cache_dir=tmp_path, prometheus_package="prometheus=2.42.0+ds-5")
    assert prometheus.home(pinned) == tmp_path / "prometheus-2.42.0+ds-5"


def test_scrapes_each_service_on_loopback_at_the_port_it_reads(tmp_path: Path) -> None:
    settings = InfraSettings(
        state_dir=tmp_path, api_port=18000, ingest_metrics_port=18001,
        triage_metrics_port=18002, sla_metrics_port=18003,
    )  # fmt: skip
    config = yaml.safe_load(prometheus.configure(settings).read_text())

    targets = {
        job["job_name"]: t for job in config["scrape_configs"]
        for s in job["static_configs"] for t in s["targets"]
    }  # fmt: skip
    assert targets == {
        "tweetcare-api": "127.0.0.1:18000",
        "tweetcare-ingest": "127.0.0.1:18001",
        "tweetcare-triage": "127.0.0.1:18002",
        "tweetcare-sla": "127.0.0.1:18003",
    }
    rules = Path(config["rule_files"][0])
    assert rules.read_text() == (prometheus.DEPLOY / "alerts.yml").read_text()
