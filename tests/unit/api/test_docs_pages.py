"""``/docs`` and ``/redoc`` load nothing from another host and run no inline script: Swagger UI
and ReDoc come from an installed package, under a Content-Security-Policy that Chromium holds
them to while they render the API's own schema."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import httpx
import pytest
from elasticsearch import AsyncElasticsearch
from playwright.sync_api import Browser, Page, Route

from services.api.apidocs.routes import ASSETS
from services.api.app import create_app
from services.api.live.feed import LiveFeed
from services.api.service import build_state
from services.api.settings import ApiSettings

ORIGIN = "http://api.test"


class _Client:
    """The app answering one request at a time, from synchronous code."""

    def __init__(self, **settings: Any) -> None:
        config = ApiSettings(**settings)
        es = AsyncElasticsearch("http://127.0.0.1:9")  # never asked: the pages need no token
        self.app = create_app(build_state(config, es, cast(Any, None), LiveFeed()))

    def get(self, path: str) -> httpx.Response:
        async def one() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
                return await client.get(path)

        # Its own thread: Playwright's synchronous API keeps an event loop running in this one.
        with ThreadPoolExecutor(1) as worker:
            return worker.submit(asyncio.run, one()).result()


def _client(**settings: Any) -> _Client:
    return _Client(**settings)


def _csp_sources(policy: str, directive: str) -> list[str]:
    for part in policy.split(";"):
        name, *sources = part.split()
        if name == directive:
            return sources
    raise AssertionError(f"no {directive} in {policy}")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_pages_load_only_files_of_this_origin_under_a_csp(page: str) -> None:
    client = _client()
    answer = client.get(page)
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    assert _csp_sources(policy, "script-src") == ["'self'"]
    assert _csp_sources(policy, "frame-ancestors") == ["'none'"]
    assert "http" not in answer.text  # no CDN, no other host
    assert "<script>" not in answer.text  # every script is a file
    for src in re.findall(r'(?:src|href)="([^"]+)"', answer.text):
        assert src.startswith("/"), src
        if src != "/openapi.json":
            assert client.get(src).status_code == 200, src
    assert client.get("/docs/assets/..%2Fsettings.py").status_code == 404
    assert client.get("/docs/assets/index.js").status_code == 404


def test_the_pages_can_be_turned_off() -> None:
    client = _client(api_docs=False)
    assert [client.get(p).status_code for p in ("/docs", "/redoc")] == [404, 404]


@pytest.fixture
def docs_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A page whose every request to ORIGIN is answered as the app answered it (asked before,
    outside Playwright's event loop); the console messages it logs (CSP violations among them)
    and the requests to other hosts, collected."""
    client = _client()
    paths = ["/docs", "/redoc", "/openapi.json", *(f"/docs/assets/{n}" for n in ASSETS)]
    answers = {path: client.get(path) for path in paths}
    page = browser.new_page()
    seen: list[str] = []

    def serve(route: Route) -> None:
        url = route.request.url
        got = answers.get(url.removeprefix(ORIGIN)) if url.startswith(ORIGIN) else None
        if got is None:
            seen.append(f"elsewhere: {url}")
            route.abort()
            return
        route.fulfill(status=got.status_code, headers=dict(got.headers), body=got.content)

    page.route("**/*", serve)
    page.on("console", lambda m: seen.append(f"{m.type}: {m.text}"))
    yield page, seen
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("path", "rendered"), [("/docs", ".opblock"), ("/redoc", "[data-section-id]")]
)
def test_each_page_renders_the_schema_with_nothing_refused(
    docs_page: tuple[Page, list[str]], path: str, rendered: str
) -> None:
    page, seen = docs_page
    page.goto(ORIGIN + path)
    page.wait_for_selector(rendered, timeout=20_000)
    assert page.locator(rendered).count() > 10
    refused = [m for m in seen if "Content Security Policy" in m or m.startswith("elsewhere")]
    # ReDoc's "API docs by Redocly" logo is an image on its CDN: the policy keeps it out, as
    # it should; nothing else may be refused or fetched from elsewhere.
    assert [m for m in refused if "cdn.redoc.ly/redoc/logo-mini.svg" not in m] == []
