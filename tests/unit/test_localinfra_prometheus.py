"""Fetching Prometheus and its web UI's packages from Debian, and the scrape configuration.

apt-get is replaced by a script on PATH that behaves like apt-get on a fresh machine (no package
lists until `apt-get update`) and serves small packages built here with dpkg-deb: ``prometheus``
(its web UI linking one library absolutely, one relatively) and one per web UI package.
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
    cp "{debs}"/*.deb . ;;
esac
"""


def _build(tmp: Path, package: str, files: dict[str, str], links: dict[str, str]) -> None:
    root = tmp / "pkg" / package
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: {VERSIONS.get(package, '1.0-1')}\nArchitecture: all\n"
        "Maintainer: test <test@example.org>\nDescription: test\n"
    )
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
        (root / name).chmod(0o755)
    for name, target in links.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(target)
    version = VERSIONS.get(package, "1.0-1")
    debs = tmp / "debs"
    debs.mkdir(exist_ok=True)
    deb = debs / f"{package}_{version}_{'amd64' if package == 'prometheus' else 'all'}.deb"
    subprocess.run(["dpkg-deb", "--build", str(root), str(deb)], check=True, capture_output=True)


VERSIONS = {"prometheus": "2.42.0+ds-5+deb12u1"}
STATIC = "usr/share/prometheus/web/static"


def _debs(tmp: Path, *, jquery: bool = True) -> Path:
    """The packages apt-get serves (``jquery=False``: libjs-jquery without its scripts)."""
    _build(
        tmp, "prometheus",
        {"usr/bin/prometheus": "#!/bin/sh\n", "usr/bin/promtool": "#!/bin/sh\n",
         "usr/share/prometheus/web/templates/graph.html": "<html></html>\n"},
        {f"{STATIC}/jquery": "/usr/share/javascript/jquery",
         f"{STATIC}/popper.js": "../../../javascript/popper.js"},
    )  # fmt: skip
    for package in prometheus.WEB_PACKAGES:
        files = {f"usr/share/doc/{package}/copyright": "test\n"}
        if package == "libjs-jquery" and jquery:
            files["usr/share/javascript/jquery/jquery.min.js"] = "/* jquery */\n"
        if package == "libjs-popper.js":
            files["usr/share/javascript/popper.js/popper.min.js"] = "export{Popper as default};\n"
            files["usr/share/javascript/popper.js/umd/popper.min.js"] = "/* umd */\n"
        _build(tmp, package, files, {})
    return tmp / "debs"


def _fake_apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debs: Path) -> Path:
    """A fake apt-get first on PATH; returns the file that logs its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    script = _FAKE_APT.format(log=log, lists=tmp_path / "lists", debs=debs)
    (bin_dir / "apt-get").write_text(script)
    (bin_dir / "apt-get").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


@pytest.fixture
def fresh_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake apt-get first on PATH; returns the file that logs its calls."""
    return _fake_apt(tmp_path, monkeypatch, _debs(tmp_path))


def _settings(tmp_path: Path) -> InfraSettings:
    return InfraSettings(cache_dir=tmp_path / "cache", state_dir=tmp_path / "state")


def test_a_fresh_machine_gets_package_lists_then_the_package(
    fresh_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    settings = _settings(tmp_path)

    assert prometheus.ensure_installed(settings) is True

    calls = [c.split() for c in fresh_machine.read_text().split("\n") if c]
    assert [c[0] for c in calls] == ["download", "update", "download"]
    assert calls[-1][2:] == ["prometheus", *prometheus.WEB_PACKAGES]  # one apt-get for all
    assert os.access(prometheus.binary(settings, "promtool"), os.X_OK)
    assert prometheus.version(settings) == "2.42.0+ds-5+deb12u1"
    assert prometheus.installed(settings)
    assert not list(settings.cache_dir.glob("*.partial"))
    assert prometheus.ensure_installed(settings) is False  # cached: no second fetch


def test_the_web_ui_links_its_libraries_inside_the_cache(
    fresh_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    settings = _settings(tmp_path)
    prometheus.ensure_installed(settings)

    static = prometheus.web_assets(settings) / "static"
    # The absolute link (/usr/share/javascript/jquery) now leads to the cache's copy.
    assert not os.path.isabs(os.readlink(static / "jquery"))
    assert (static / "jquery" / "jquery.min.js").read_text() == "/* jquery */\n"
    # The pages load popper.min.js as a plain script: the UMD build, not Debian's ES module.
    assert (static / "popper.js" / "popper.min.js").read_text() == "/* umd */\n"


def test_a_cache_from_before_the_web_ui_is_fetched_again(
    fresh_machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    settings = _settings(tmp_path)
    old = prometheus.home(settings)
    (old / "usr" / "bin").mkdir(parents=True)
    (old / ".complete").write_text(
        "2.42.0+ds-5+deb12u1 prometheus_2.42.0+ds-5+deb12u1_amd64.deb x\n"
    )
    assert not prometheus.installed(settings)

    assert prometheus.ensure_installed(settings) is True
    assert (prometheus.web_assets(settings) / "static" / "jquery" / "jquery.min.js").is_file()


def test_a_web_ui_link_that_leads_nowhere_is_an_error_and_nothing_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_apt(tmp_path, monkeypatch, _debs(tmp_path, jquery=False))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    settings = _settings(tmp_path)
    with pytest.raises(InfraError, match=r"out of the cache: static/jquery \(does"):
        prometheus.ensure_installed(settings)
    assert not prometheus.home(settings).exists()


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
