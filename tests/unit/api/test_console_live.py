"""The console's live module in Chromium: it opens the stream with a ticket from
``POST /v1/stream-tickets`` (the token goes in the header, never into the stream's URL), and an
``event: revoked`` signs the agent out."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route

from services.api.console.routes import CONSOLE_DIR

pytestmark = pytest.mark.browser

ORIGIN = "http://console.test"
TOKEN = "tc_the-agents-secret-token"


@pytest.fixture
def console(browser: Browser) -> Iterator[tuple[Page, list[dict[str, str]]]]:
    """The console's page, its files from the package; the API answered here, every request
    to it recorded (method, URL, Authorization)."""
    page = browser.new_page()
    asked: list[dict[str, str]] = []

    def serve(route: Route) -> None:
        request = route.request
        path = request.url.removeprefix(ORIGIN)
        if path == "/":
            route.fulfill(path=CONSOLE_DIR / "index.html", content_type="text/html")
        elif path.startswith("/console/"):
            name = path.removeprefix("/console/")
            kind = "text/css" if name.endswith(".css") else "text/javascript"
            route.fulfill(path=CONSOLE_DIR / name, content_type=kind)
        else:
            asked.append({"method": request.method, "url": request.url,
                          "authorization": request.headers.get("authorization", "")})  # fmt: skip
            if path == "/v1/stream-tickets":
                route.fulfill(json={"ticket": "T1.sig", "expires_at": "2026-11-23T01:01:00Z"})
            elif path.startswith("/v1/queues/*/stream"):
                route.fulfill(
                    body='retry: 600000\n\nevent: revoked\ndata: {"code": "invalid_token"}\n\n',
                    content_type="text/event-stream",
                )
            else:
                route.fulfill(status=404, json={"error": {"code": "not_found", "message": ""}})

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    yield page, asked
    page.close()


def test_the_stream_opens_with_a_ticket_and_revoked_signs_out(
    console: tuple[Page, list[dict[str, str]]],
) -> None:
    page, asked = console
    page.evaluate(
        """async (token) => {
            const { state } = await import('/console/state.js');
            const { connectLive } = await import('/console/live.js');
            state.token = token;
            document.querySelector('#signin').hidden = true;
            await connectLive();
        }""",
        TOKEN,
    )
    page.wait_for_selector("#signin", state="visible", timeout=10_000)
    streams = [a for a in asked if "/stream" in a["url"] and "tickets" not in a["url"]]
    tickets = [a for a in asked if a["url"].endswith("/v1/stream-tickets")]
    assert [(t["method"], t["authorization"]) for t in tickets] == [("POST", f"Bearer {TOKEN}")]
    assert [s["url"] for s in streams] == [f"{ORIGIN}/v1/queues/*/stream?ticket=T1.sig"]
    assert all(TOKEN not in a["url"] for a in asked), json.dumps(asked)
    assert page.evaluate("async () => (await import('/console/state.js')).state.token") is None
