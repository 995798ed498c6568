"""The real Prometheus scraping the running demo: every alert expression and dashboard query is
evaluated through its HTTP API against live data, and its graph page shows a key query.

Prometheus is the one `tweetcare infra up` runs (services.localinfra.prometheus), started here on a
spare port and state directory, its targets moved to the demo's free ports. A few metrics exist only
after events the demo does not cause by itself (dead letters, X calls and errors without X
credentials, agents' actions and replies); they are listed, and only they may be missing.

The graph page (Debian's classic web UI) of open cases per queue is opened in Chromium, and its
screenshot written to ``artifacts/screenshots/prometheus-graph.png`` (and, with
TWEETCARE_UPDATE_SCREENSHOTS=1, to ``docs/screenshots/`` for docs/local-infra.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, Response

from services.localinfra import prometheus
from services.localinfra.procs import stop_pids, wait_until
from services.localinfra.settings import InfraSettings
from services.plumbing.settings import REPO_ROOT, load_settings
from tests.e2e.conftest import FIRST_RESPONSE_S, ROOT, Demo, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.elasticsearch]

# Metrics with labels appear only once a labelled child is used; the demo alone never does.
NEEDS_AN_EVENT = {
    "tweetcare_dead_letters_total": "a message a consumer cannot use",
    "tweetcare_ingest_x_api_calls": "a call to X (the demo has no X credentials)",
    "tweetcare_ingest_x_api_errors_total": "an error from X",
    "tweetcare_ingest_x_rate_limit_waits": "an X rate-limit wait",
    "tweetcare_ingest_outbox_replies_total": "an agent's reply posted or failed",
    "tweetcare_ingest_held_back": "a duplicate or a retweet (the stream has some, not always yet)",
    "tweetcare_api_actions_total": "an agent's action",
    "tweetcare_kafka_produce_failures_total": "a record batch the broker refused",
    "tweetcare_sla_fired_total": "a warning or breach fired and scraped (the first may not be yet)",
}
_METRIC = re.compile(r"\b(tweetcare_\w+|up)\b")

SHOTS = ROOT / "artifacts" / "screenshots"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
# The top row's "open cases per queue" (services/dashboards): what a support lead looks at first.
KEY_QUERY = "sum by (queue) (tweetcare_sla_open_cases)"
GRAPH_S = 45  # seconds of data the graph shows at least
# The graph page has drawn the query: a line per series, and the legend under it.
DRAWN = """() => document.querySelectorAll('.graph_area svg path.path').length > 0
  && document.querySelectorAll('.legend li.line').length > 0"""


def _alert_exprs() -> list[str]:
    rules = yaml.safe_load((prometheus.DEPLOY / "alerts.yml").read_text())
    return [r["expr"] for group in rules["groups"] for r in group["rules"]]


def _panel_exprs() -> list[str]:
    return [
        target["expr"]
        for path in sorted((REPO_ROOT / "deploy/grafana/dashboards").glob("*.json"))
        for panel in json.loads(path.read_text())["panels"]
        for target in panel.get("targets", [])  # rows have none
    ]


@pytest.fixture(scope="module")
def prom(demo: Demo) -> Iterator[str]:
    """Prometheus scraping the demo's services; its base URL."""
    state = Path(tempfile.mkdtemp(prefix="tweetcare-prom-"))
    env = demo.env
    settings = InfraSettings(
        state_dir=state,
        cache_dir=load_settings(InfraSettings).cache_dir,
        prometheus_url=f"http://127.0.0.1:{free_port()}",
        api_port=int(env["TWEETCARE_API_PORT"]),
        ingest_metrics_port=int(env["TWEETCARE_INGEST_METRICS_PORT"]),
        triage_metrics_port=int(env["TWEETCARE_TRIAGE_METRICS_PORT"]),
        sla_metrics_port=int(env["TWEETCARE_SLA_METRICS_PORT"]),
    )
    prometheus.ensure_installed(settings)
    pid = prometheus.start(settings)
    try:
        assert wait_until(lambda: prometheus.healthy(settings), 30), prometheus.failure_hint(
            settings
        )
        yield settings.prometheus_url
    finally:
        stop_pids([pid], grace_s=30)
        shutil.rmtree(state, ignore_errors=True)


def _api(base: str, path: str, **params: Any) -> Any:
    answer = httpx.get(f"{base}/api/v1/{path}", params=params, timeout=30).json()
    assert answer["status"] == "success", answer
    return answer["data"]


def _present(base: str, metric: str) -> bool:
    return bool(_api(base, "series", **{"match[]": metric}))


def _targets(base: str) -> dict[str, str]:
    return {t["labels"]["job"]: t["health"] for t in _api(base, "targets")["activeTargets"]}


def test_every_alert_and_panel_query_runs_on_live_data(prom: str) -> None:
    def all_up() -> bool:
        health = _targets(prom)
        return len(health) == 4 and set(health.values()) == {"up"}

    def breached() -> bool:
        return _present(prom, "tweetcare_sla_timer_lag_seconds_bucket")

    assert wait_until(all_up, 60), _targets(prom)
    # The demo's short policy breaches within FIRST_RESPONSE_S: then the SLA metrics exist.
    assert wait_until(breached, FIRST_RESPONSE_S + 90, interval=2)
    time.sleep(11)  # two more scrapes (5 s): rates over them have two points

    alerts, panels = _alert_exprs(), _panel_exprs()
    named = {m for expr in alerts + panels for m in _METRIC.findall(expr)}
    missing = {m for m in named if not _present(prom, m)}
    assert missing - set(NEEDS_AN_EVENT) == set()  # a name no service exports fails here

    for expr in alerts:  # a real Prometheus parses and evaluates each (none fires, or some do)
        assert _api(prom, "query", query=expr)["resultType"] == "vector", expr
    checked = [e for e in panels if not set(_METRIC.findall(e)) & set(NEEDS_AN_EVENT)]
    empty = [e for e in checked if not _api(prom, "query", query=e)["result"]]
    assert empty == []
    assert len(checked) >= 20  # the panels' queries that the demo alone feeds


def test_the_graph_page_draws_open_cases_per_queue(prom: str, browser: Browser) -> None:
    def samples() -> list[float]:  # the times of the longest series' samples, last 10 minutes
        end = time.time()
        series = _api(prom, "query_range", query=KEY_QUERY, start=end - 600, end=end, step=5)
        longest = max((s["values"] for s in series["result"]), key=len, default=[])
        return [float(t) for t, _ in longest]

    def span() -> float:
        times = samples()
        return times[-1] - times[0] if times else 0.0

    # Cases are open once the demo's tweets reached the SLA service (the SLA metrics appear
    # then); GRAPH_S of them make a graph worth looking at.
    assert wait_until(lambda: span() >= GRAPH_S, FIRST_RESPONSE_S + 90, interval=2), span()
    queues = {s["metric"]["queue"] for s in _api(prom, "query", query=KEY_QUERY)["result"]}
    # This Prometheus started with the module: the graph spans its data, not an hour of nothing.
    graph_range = f"{int(time.time() - samples()[0]) + 3}s"

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    failed: list[str] = []
    page.on("pageerror", lambda exc: failed.append(f"script error: {exc}"))
    page.on("response", lambda r: _note_failed(r, failed))
    try:
        graph = {"g0.expr": KEY_QUERY, "g0.tab": 0, "g0.range_input": graph_range}  # tab 0: graph
        opened = page.goto(f"{prom}/classic/graph?{urlencode(graph)}")
        assert opened is not None
        assert opened.ok, f"{opened.status}: no web UI (is --web.local-assets passed?)"
        page.wait_for_function(DRAWN, timeout=30_000)
        legend = page.locator(".legend li.line .label").all_inner_texts()
        error = page.locator(".graph_wrapper .error")
        error_text = error.inner_text() if error.is_visible() else ""
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / "prometheus-graph.png"
        page.screenshot(path=str(path))
    finally:
        page.close()

    assert failed == []  # every script, stylesheet and font of the UI loaded; no script error
    assert error_text == ""  # no error banner ("No datapoints found.", a query error)
    # One legend entry per queue with open cases, as the API answers: {queue="care-en"}, ...
    entries = [re.fullmatch(r'\{queue="([^"]+)"\}', label) for label in legend]
    assert all(entries), legend
    assert {e.group(1) for e in entries if e} >= queues
    assert path.stat().st_size > 10_000
    if os.environ.get("TWEETCARE_UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SHOTS / path.name)


def _note_failed(response: Response, failed: list[str]) -> None:
    if response.status >= 400:
        failed.append(f"{response.status} {response.url}")
