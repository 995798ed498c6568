"""The report screen's agreement panel in Chromium: it asks GET /v1/stats/agreement for the
report's period by the chosen grouping, draws one bar per group at its overturn rate with the
figures in a table, in English and in Japanese, and says so when there is nothing to show."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, Route

from services.api.console.routes import CONSOLE_DIR

pytestmark = pytest.mark.browser

ORIGIN = "http://console.test"
ROWS = {
    "label": [
        {"group": "needs_reply", "agreed": 6, "overturned": 2, "overturn_rate": 0.25},
        {"group": "topic", "agreed": 1, "overturned": 3, "overturn_rate": 0.75},
    ],
    "model_version": [
        {"group": "lr5-20261201-aaaa", "agreed": 2, "overturned": 8, "overturn_rate": 0.8},
        {"group": "lr5-20261202-bbbb", "agreed": 9, "overturned": 1, "overturn_rate": 0.1},
    ],
    "lang": [],
}


@pytest.fixture
def console(browser: Browser) -> Iterator[tuple[Page, list[dict[str, list[str]]]]]:
    """The console's page, its files from the package; the statistics answered here, the
    agreement requests' query parameters recorded."""
    page = browser.new_page()
    asked: list[dict[str, list[str]]] = []

    def serve(route: Route) -> None:
        url = urlparse(route.request.url)
        if url.path == "/":
            route.fulfill(path=CONSOLE_DIR / "index.html", content_type="text/html")
        elif url.path.startswith("/console/"):
            name = url.path.removeprefix("/console/")
            kind = "text/css" if name.endswith(".css") else "text/javascript"
            route.fulfill(path=CONSOLE_DIR / name, content_type=kind)
        elif url.path == "/v1/stats/agreement":
            params = parse_qs(url.query)
            asked.append(params)
            route.fulfill(json=ROWS[params["by"][0]])
        elif url.path == "/v1/stats/cases":
            route.fulfill(json=[])
        else:
            route.fulfill(status=404, json={"error": {"code": "not_found", "message": ""}})

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    page.evaluate(
        """async () => {
            const { state } = await import('/console/state.js');
            const { showReport } = await import('/console/report.js');
            state.token = 'tc_supervisor';
            document.querySelector('#signin').hidden = true;
            document.querySelector('#report-view').hidden = false;
            showReport();
        }"""
    )
    yield page, asked
    page.close()


def _table(page: Page) -> list[list[str]]:
    page.wait_for_selector("[data-testid=agree-table]", timeout=10_000)
    rows = page.locator("[data-testid=agree-table] tbody tr")
    return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]


def test_overturn_rates_by_decision_in_english_and_japanese(
    console: tuple[Page, list[dict[str, list[str]]]],
) -> None:
    page, asked = console
    assert _table(page) == [["Needs a reply", "6", "2", "25%"], ["Topic", "1", "3", "75%"]]
    assert page.locator("#agree-title").inner_text() == "Agents overturning triage"
    bars = page.locator("[data-testid=agreement] svg rect.bar.overturn")
    assert [bars.nth(i).get_attribute("data-value") for i in range(bars.count())] == [
        "0.25", "0.75"
    ]  # fmt: skip
    # the report's period, by decision (the default)
    assert [(a["by"], sorted(a)) for a in asked] == [(["label"], ["by", "since", "until"])]
    page.evaluate(
        """async () => {
            const { setLang } = await import('/console/i18n.js');
            const { renderReport } = await import('/console/report.js');
            setLang('ja');
            renderReport();
        }"""
    )
    assert page.locator("#agree-title").inner_text() == "担当者によるトリアージの修正"
    assert _table(page) == [["要対応", "6", "2", "25%"], ["トピック", "1", "3", "75%"]]
    headers = page.locator("[data-testid=agree-table] thead th").all_inner_texts()
    assert headers == ["判定項目", "同意", "修正", "修正率"]
    assert "修正率 75%（4件中3件）" in page.locator("[data-testid=agreement] svg").inner_html()


def test_by_model_version_and_an_empty_period(
    console: tuple[Page, list[dict[str, list[str]]]],
) -> None:
    page, asked = console
    _table(page)
    page.select_option("[data-testid=agree-by]", "model_version")
    page.wait_for_selector("[data-testid=agree-table] tr[data-group='lr5-20261202-bbbb']")
    assert _table(page) == [
        ["lr5-20261201-aaaa", "2", "8", "80%"], ["lr5-20261202-bbbb", "9", "1", "10%"]
    ]  # fmt: skip
    rates = page.locator("[data-testid=agree-table] tbody tr")
    assert [rates.nth(i).get_attribute("data-rate") for i in range(2)] == ["0.8", "0.1"]
    page.select_option("[data-testid=agree-by]", "lang")
    page.wait_for_selector("[data-testid=agree-empty]")
    assert page.locator("[data-testid=agree-empty]").inner_text() == (
        "No agent verdicts on triage in this period."
    )
    assert [a["by"] for a in asked] == [["label"], ["model_version"], ["lang"]], json.dumps(asked)
