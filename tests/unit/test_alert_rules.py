"""The alert rules, checked and unit-tested by promtool (Debian's prometheus package, which
`tweetcare infra up` caches; fetched here on first use).

deploy/prometheus/alerts_test.yml holds the cases; this module runs them, checks that every alert
has a case where it fires and one where it stays quiet, and that breaking an alert's expression
makes the tests fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.localinfra import prometheus
from services.localinfra.settings import InfraSettings
from services.plumbing.settings import load_settings

RULES = prometheus.DEPLOY / "alerts.yml"
TESTS = prometheus.DEPLOY / "alerts_test.yml"


def _alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


ALERTS = sorted(rule["alert"] for rule in _alerts())


@pytest.fixture(scope="module")
def promtool() -> Path:
    settings = load_settings(InfraSettings)
    prometheus.ensure_installed(settings)
    return prometheus.binary(settings, "promtool")


def _run(promtool: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(promtool), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_alert_names_are_unique() -> None:
    assert len(ALERTS) == len(set(ALERTS))


def test_promtool_checks_the_rules(promtool: Path) -> None:
    proc = _run(promtool, "check", "rules", str(RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in proc.stdout


def test_promtool_unit_tests_pass(promtool: Path) -> None:
    proc = _run(promtool, "test", "rules", str(TESTS))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    cases = [
        case for test in yaml.safe_load(TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
    ]  # fmt: skip
    firing = {c["alertname"] for c in cases if c["exp_alerts"]}
    quiet = {c["alertname"] for c in cases if not c["exp_alerts"]}
    assert sorted(firing) == ALERTS
    assert sorted(quiet) == ALERTS


def _with_expr(tmp_path: Path, alert: str, change: Any) -> Path:
    """A copy of the rules and their tests where ``alert``'s expression is ``change(expr)``."""
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == alert:
                rule["expr"] = change(rule["expr"])
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(rules, sort_keys=False))
    shutil.copyfile(TESTS, tmp_path / "alerts_test.yml")
    return tmp_path / "alerts_test.yml"


def _renamed(expr: str) -> str:
    """The first metric the expression names, misspelt (a rename the rule did not follow)."""
    return re.sub(r"\b(tweetcare_\w+|up)\b", r"\1_renamed", expr, count=1)


@pytest.mark.parametrize("alert", ALERTS)
@pytest.mark.parametrize(
    "change",
    [pytest.param(lambda _: "absent(vector(1))", id="never-fires"),
     pytest.param(_renamed, id="metric-renamed")],
)  # fmt: skip
def test_a_broken_expression_fails_the_tests(
    promtool: Path, tmp_path: Path, alert: str, change: Any
) -> None:
    broken = _with_expr(tmp_path, alert, change)
    proc = _run(promtool, "test", "rules", str(broken))
    assert proc.returncode != 0, proc.stdout
    assert f"alertname: {alert}" in proc.stdout + proc.stderr
