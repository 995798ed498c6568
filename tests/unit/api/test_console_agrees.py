"""The console computes three things the server computes too: a case's view (open, breached,
warned, next due, first response), the working order of a queue, and the weight X counts for a
reply. Both sides get one table of cases and texts here and must give the same answers: the
server's Python (and the sort it sends to Elasticsearch), the console's mirror.js in Chromium."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from services.api.cases.replies import MAX_WEIGHT, weighted_length
from services.api.cases.view import case_view
from services.api.console.routes import CONSOLE_DIR
from services.api.queues.service import WORKING_ORDER
from services.api.readmodel.documents import case_document
from services.plumbing.contracts.cases import Case, CaseState, ClockName, ClockStatus
from services.plumbing.contracts.common import Priority
from tests.factories.readmodel import at, case, case_event, clock

pytestmark = pytest.mark.browser

NOW = at(20)
FR, NR, RES = ClockName.FIRST_RESPONSE, ClockName.NEXT_RESPONSE, ClockName.RESOLUTION
ORIGIN = "http://console.test"


@pytest.fixture(scope="module")
def mirror(browser: Browser) -> Iterator[Page]:
    """A blank page of its own origin that has imported the console's mirror.js."""
    page = browser.new_page()

    def serve(route: Route) -> None:
        name = route.request.url.removeprefix(f"{ORIGIN}/")
        if name == "blank.html":
            route.fulfill(body="<!doctype html><title>mirror</title>", content_type="text/html")
        else:
            route.fulfill(path=CONSOLE_DIR / name, content_type="text/javascript")

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/blank.html")
    page.evaluate("async () => { window.mirror = await import('/mirror.js'); }")
    yield page
    page.close()


TABLE: dict[str, Case] = {
    "new-running": case("new-running", clocks=[clock(due=at(60))]),
    "earliest-of-two": case("earliest-of-two", clocks=[clock(due=at(90)), clock(RES, due=at(45))]),
    "paused": case(
        "paused",
        state=CaseState.WAITING_ON_CUSTOMER,
        clocks=[clock(status=ClockStatus.PAUSED), clock(RES, due=at(600))],
    ),
    "warned": case("warned", clocks=[clock(due=at(30), warned=True)]),
    "breached": case(
        "breached", clocks=[clock(status=ClockStatus.BREACHED, due=at(10), breached_at=at(10))]
    ),
    "breached-and-warned": case(
        "breached-and-warned",
        clocks=[
            clock(status=ClockStatus.BREACHED, due=at(5), breached_at=at(5)),
            clock(RES, due=at(300), warned=True),
        ],
    ),
    "answered-late": case(
        "answered-late",
        state=CaseState.ASSIGNED,
        first_response_at=at(15),
        clocks=[
            clock(status=ClockStatus.BREACHED, due=at(10), breached_at=at(10), met_at=at(15)),
            clock(NR, status=ClockStatus.MET, started=at(15), met_at=at(16)),
        ],
    ),
    "resolved-after-breach": case(
        "resolved-after-breach",
        state=CaseState.RESOLVED,
        first_response_at=at(3),
        clocks=[clock(RES, status=ClockStatus.BREACHED, due=at(8), breached_at=at(8))],
    ),
    "spam": case("spam", state=CaseState.SPAM, clocks=[clock(due=at(60))]),
    "no-clocks": case("no-clocks", priority=Priority.P1),
}


def _server_view(subject: Case, version: int) -> dict[str, Any]:
    view = case_view(case_document(case_event(subject, version)), NOW)
    return {
        "open": view.open, "breached": view.breached, "warned": view.warned,
        "next_due_at": view.next_due_at, "first_response_seconds": view.first_response_seconds,
    }  # fmt: skip


def _console_view(page: Page, subject: Case, version: int) -> dict[str, Any]:
    got = page.evaluate(
        "([c, v]) => mirror.viewOfCase(c, v)", [subject.model_dump(mode="json"), version]
    )
    assert got["case_version"] == version
    due = got["next_due_at"]
    return {
        "open": got["open"], "breached": got["breached"], "warned": got["warned"],
        "next_due_at": datetime.fromisoformat(due) if due else None,
        "first_response_seconds": got["first_response_seconds"],
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(TABLE))
def test_a_case_looks_the_same_in_the_console_and_the_read_model(mirror: Page, name: str) -> None:
    subject = TABLE[name]
    assert _console_view(mirror, subject, 7) == _server_view(subject, 7)


def _es_order(docs: list[dict[str, Any]], spec: list[dict[str, Any]]) -> list[str]:
    """``docs`` sorted as Elasticsearch sorts by ``spec`` (booleans false < true, missing values
    last unless said otherwise; dates here are all UTC ISO text, which sorts as the time)."""

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for clause in spec:
            ((field, how),) = clause.items()
            x, y = a.get(field), b.get(field)
            if x == y:
                continue
            if x is None or y is None:
                first = how.get("missing", "_last") == "_first"
                return (-1 if first else 1) if x is None else (1 if first else -1)
            step = -1 if x < y else 1
            return step if how["order"] == "asc" else -step
        return 0

    return [d["case_id"] for d in sorted(docs, key=functools.cmp_to_key(compare))]


def test_the_console_keeps_a_queue_in_the_order_the_server_sorts_it(mirror: Page) -> None:
    queue = [
        case("a-breached",
             clocks=[clock(status=ClockStatus.BREACHED, due=at(1), breached_at=at(1))]),
        case("b-due-30-p2", priority=Priority.P2, clocks=[clock(due=at(30))]),
        case("c-due-30-p1", priority=Priority.P1, clocks=[clock(due=at(30))]),
        case("d-due-10-p4", priority=Priority.P4, clocks=[clock(due=at(10))]),
        case("e-paused-p1", priority=Priority.P1, clocks=[clock(status=ClockStatus.PAUSED)]),
        case("f-no-clock-p2", priority=Priority.P2),
        case("g-due-30-p2-older", priority=Priority.P2, opened_at=at(-5),
             clocks=[clock(due=at(30))]),
        case("h-due-30-p2-older", priority=Priority.P2, opened_at=at(-5),
             clocks=[clock(due=at(30))]),
        case("i-answered-late", clocks=[clock(status=ClockStatus.BREACHED, due=at(2),
             breached_at=at(2), met_at=at(4))]),
        case("j-breached-p1", priority=Priority.P1,
             clocks=[clock(status=ClockStatus.BREACHED, due=at(3), breached_at=at(3))]),
    ]  # fmt: skip
    docs = [case_document(case_event(c, 1)) for c in reversed(queue)]
    server = _es_order(docs, WORKING_ORDER)
    console = mirror.evaluate(
        """(cases) => cases.map((c) => mirror.viewOfCase(c, 1)).sort(mirror.workingOrder)
             .map((v) => v.case.case_id)""",
        [c.model_dump(mode="json") for c in reversed(queue)],
    )
    assert console == server
    # The table holds every tie-break: breached first (P1 before P3), then time left, priority,
    # age and id; cases with no running clock last.
    assert server == [
        "j-breached-p1",
        "a-breached",
        "d-due-10-p4",
        "c-due-30-p1",
        "g-due-30-p2-older",
        "h-due-30-p2-older",
        "b-due-30-p2",
        "e-paused-p1",
        "f-no-clock-p2",
        "i-answered-late",
    ]


TEXTS = [
    "",
    "Sorry Kumiko, we are on it. ^AK",
    "遅" * 141,
    "荷物の配達が遅れて申し訳ございません。確認いたします。",
    "see https://example.com/track?id=1 and http://x.y/z",
    "https://example.com/配達",
    "ｶﾀｶﾅ and ひらがな and 한국어",
    "emoji 😀👍🏽 count",
    "".join(
        chr(c) for c in (4351, 4352, 8192, 8205, 8206, 8207, 8208, 8223, 8224, 8242, 8247, 8248)
    ),
    "a\u00e9\u00fc\u0416\u05d0\u0627 Latin-1, Cyrillic, Hebrew, Arabic",
]


def test_the_console_weighs_a_reply_as_the_api_does(mirror: Page) -> None:
    console = mirror.evaluate("(texts) => texts.map((t) => mirror.weightedLength(t))", TEXTS)
    assert console == [weighted_length(text) for text in TEXTS]
    assert mirror.evaluate("() => mirror.MAX_TWEET_WEIGHT") == MAX_WEIGHT
