"""docker-compose.yml, Prometheus and Grafana files: valid, consistent with the code and docs.

Docker cannot run here, so the compose file is validated against the Compose specification's own
JSON Schema (shipped in the check-jsonschema package) and cross-checked with the CLI.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from services.cli import build_parser
from services.plumbing.settings import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
OUR_IMAGE = {name: svc for name, svc in SERVICES.items() if svc.get("build") == "."}
ONE_SHOT = {name for name, svc in SERVICES.items() if svc.get("restart") == "no"}


def _subcommand_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[Any]:
    paths: set[tuple[str, ...]] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.add((*prefix, name))
                paths |= _subcommand_paths(sub, (*prefix, name))
    return paths


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    # Found without importing the package: its CLI needs a newer click than faust allows.
    found = importlib.util.find_spec("check_jsonschema")
    assert found is not None
    assert found.origin is not None
    vendor = Path(found.origin).parent / "builtin_schemas" / "vendor"
    spec = json.loads((vendor / "compose-spec.json").read_text())
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in Draft7Validator(spec).iter_errors(COMPOSE)
    ]
    assert errors == []


def test_runs_infrastructure_monitoring_and_the_four_services() -> None:
    assert {"kafka", "elasticsearch", "prometheus", "grafana"} <= set(SERVICES)
    assert {"ingest", "triage", "sla", "api", "provision"} <= set(OUR_IMAGE)


@pytest.mark.parametrize("name", sorted(OUR_IMAGE))
def test_every_command_of_our_image_is_a_tweetcare_subcommand(name: str) -> None:
    command = tuple(SERVICES[name]["command"])
    assert command in _subcommand_paths(build_parser())


@pytest.mark.parametrize("name", sorted(set(SERVICES) - ONE_SHOT))
def test_every_long_running_service_has_a_healthcheck(name: str) -> None:
    assert SERVICES[name]["healthcheck"]["test"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_started_only_when_what_it_needs_is_healthy(name: str) -> None:
    for needed, how in SERVICES[name].get("depends_on", {}).items():
        assert needed in SERVICES
        expected = "service_completed_successfully" if needed in ONE_SHOT else "service_healthy"
        assert how["condition"] == expected


def test_service_healthchecks_probe_the_port_the_service_listens_on() -> None:
    for name in ("ingest", "triage", "sla", "api"):
        env = SERVICES[name]["environment"]
        port = next(v for k, v in env.items() if k.endswith("_PORT"))
        assert SERVICES[name]["healthcheck"]["test"][-1] == port, name


def test_required_settings_are_marked_required() -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    assert "${GRAFANA_ADMIN_PASSWORD:?" in text
    assert "${X_BEARER_TOKEN:-}" in text  # optional: the demo replays a generated stream


def test_prometheus_scrapes_each_service_on_its_port() -> None:
    config = yaml.safe_load((REPO_ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {
        t for job in config["scrape_configs"] for s in job["static_configs"] for t in s["targets"]
    }
    expected = set()
    for name in ("ingest", "triage", "sla", "api"):
        env = SERVICES[name]["environment"]
        expected.add(f"{name}:{next(v for k, v in env.items() if k.endswith('_PORT'))}")
    assert targets == expected


def _anchors(markdown: str) -> set[str]:
    return {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in markdown.splitlines()
        if line.startswith("## ")
    }


def test_every_alert_has_a_runbook_entry() -> None:
    rules = yaml.safe_load((REPO_ROOT / "deploy/prometheus/alerts.yml").read_text())
    anchors = _anchors((REPO_ROOT / "docs/runbook.md").read_text())
    alerts = [r for group in rules["groups"] for r in group["rules"]]
    assert alerts
    for rule in alerts:
        url = rule["annotations"]["runbook_url"]
        assert url.startswith("docs/runbook.md#"), rule["alert"]
        assert url.split("#", 1)[1] in anchors, rule["alert"]


def test_dashboard_panels_query_tweetcare_metrics() -> None:
    dashboards = list((REPO_ROOT / "deploy/grafana/dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        board = json.loads(path.read_text())
        exprs = [t["expr"] for panel in board["panels"] for t in panel.get("targets", [])]
        assert exprs, path.name
        for expr in exprs:
            assert re.search(r"\b(tweetcare_\w+|up)\b", expr), expr


def _known_metrics() -> set[str]:
    from prometheus_client import CollectorRegistry

    from services.api.metrics import ApiMetrics
    from services.ingest.metrics import IngestMetrics
    from services.plumbing.consumer_metrics import consumer_metrics
    from services.plumbing.lag import consumer_lag
    from services.sla.metrics import SlaMetrics
    from services.triage.metrics import TriageMetrics

    names = {"up"}
    # consumer_lag, consumer_metrics: every consuming service registers its consumers' lag,
    # rebalances and batch and commit times in its own registry.
    for cls in (ApiMetrics, IngestMetrics, SlaMetrics, TriageMetrics, consumer_lag,
                consumer_metrics):  # fmt: skip
        registry = CollectorRegistry()
        cls(registry)
        for family in registry.collect():
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
            names.update(family.name + s for s in suffixes.get(family.type, [""]))
    return names


def test_dashboards_and_alerts_only_name_metrics_the_services_export() -> None:
    known = _known_metrics()
    exprs = [
        t["expr"]
        for path in (REPO_ROOT / "deploy/grafana/dashboards").glob("*.json")
        for panel in json.loads(path.read_text())["panels"]
        for t in panel.get("targets", [])
    ]
    rules = yaml.safe_load((REPO_ROOT / "deploy/prometheus/alerts.yml").read_text())
    exprs += [r["expr"] for group in rules["groups"] for r in group["rules"]]
    named = {m for expr in exprs for m in re.findall(r"\btweetcare_\w+", expr)}
    assert named
    assert named - known == set()
