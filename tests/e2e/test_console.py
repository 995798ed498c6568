"""The agent console in Chromium against the whole running system (`tweetcare demo`).

Generated tweets go through ingest, triage and the SLA service into the API's read model; agents
work them in the console; replies go out through the sandbox outbox and come back as the brand's
outbound tweets. Every live check also checks that the page was not reloaded.

Screenshots of the queue and case views, in English and Japanese, are written to
``artifacts/screenshots/`` and copied to ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from services.api.cases.replies import MAX_WEIGHT, weighted_length
from tests.e2e.conftest import FIRST_RESPONSE_S, ROOT, Demo

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.elasticsearch]

VIEWPORT = {"width": 1440, "height": 900}
SHOTS = ROOT / "artifacts" / "screenshots"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
# The demo routes English to care-en, Japanese to care-ja, DMs to dm (demo-triage.yaml).
LIVE_S = 15_000  # ms a live change may take to show

# The first row of the case list that fits the criteria (None: no such row yet).
CLICK = """(selector) => {
  const element = document.querySelector(selector);
  if (!element) return false;
  element.click();
  return true;
}"""
OPEN_ROW = """(id) => {
  const button = document.querySelector(
    `[data-testid=case-row][data-case-id="${id}"] [data-testid=case-open]`);
  if (!button) return false;
  button.click();
  return true;
}"""
PICK = """(c) => {
  const now = Date.now();
  for (const tr of document.querySelectorAll('[data-testid=case-row]')) {
    const d = tr.dataset;
    const left = d.nextDue ? (Date.parse(d.nextDue) - now) / 1000 : Infinity;
    if ((c.channel && d.channel !== c.channel) || (c.lang && d.lang !== c.lang)
        || d.state !== 'new' || d.assigneeId || d.breached === 'true'
        || Date.parse(d.opened) < c.openedAfter || left < c.minLeft || left > c.maxLeft) continue;
    return d.caseId;
  }
  return null;
}"""
# Why no row fitted (for the failure message): each listed row and what ruled it out.
ROWS = """() => Array.from(document.querySelectorAll('[data-testid=case-row]'), (tr) => {
  const d = tr.dataset;
  const left = d.nextDue ? Math.round((Date.parse(d.nextDue) - Date.now()) / 1000) : null;
  return `${d.caseId} ${d.state} ${d.lang} assignee=${d.assigneeId || '-'} breached=${d.breached}`
    + ` opened=${d.opened} left=${left}`;
})"""


class Console:
    """One signed-in browser tab of the console, and what a test asks of it."""

    def __init__(self, page: Page, demo: Demo) -> None:
        self.page = page
        self.demo = demo
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def by(self, testid: str) -> Locator:
        return self.page.get_by_test_id(testid)

    def sign_in(self, token: str) -> Console:
        self.page.goto(self.demo.url)
        self.by("token-input").fill(token)
        self.by("signin-submit").click()
        expect(self.by("workspace")).to_be_visible()
        expect(self.by("live-status")).to_have_attribute("data-state", "on", timeout=LIVE_S)
        self.page.evaluate("window.__notReloaded = true")
        return self

    def open_queue(self, name: str, sla: str = "any") -> Locator:
        queue = self.page.locator(f'[data-testid=queue-item][data-queue="{name}"]')
        expect(queue).to_be_visible(timeout=60_000)  # generated tweets reached the queue
        # The list is rebuilt on live updates: find and click in one go (see open_case).
        self.page.wait_for_function(CLICK, arg=f'[data-testid=queue-item][data-queue="{name}"]',
                                    timeout=LIVE_S)  # fmt: skip
        expect(queue).to_have_attribute("aria-pressed", "true")
        self.by("filter-sla").select_option(sla)
        expect(self.by("case-row").first).to_be_visible(timeout=60_000)
        return queue

    def pick(self, *, timeout_s: float = 60, **criteria: Any) -> str:
        """The id of the first listed case of this run that is new, unassigned, not breached and
        fits ``criteria`` (channel, lang, minLeft and maxLeft seconds)."""
        wanted = {
            "channel": None, "lang": None, "minLeft": 0, "maxLeft": 1e9,
            "openedAfter": self.demo.started_at.timestamp() * 1000, **criteria,
        }  # fmt: skip
        try:
            handle = self.page.wait_for_function(PICK, arg=wanted, timeout=timeout_s * 1000)
        except PlaywrightTimeoutError:
            rows = self.page.evaluate(ROWS)
            raise AssertionError(
                f"no case fitting {wanted} was listed in {timeout_s} s; the {len(rows)} rows:\n"
                + "\n".join(rows[:40])
            ) from None
        case_id: str = handle.json_value()
        return case_id

    def row(self, case_id: str) -> Locator:
        return self.page.locator(f'[data-testid=case-row][data-case-id="{case_id}"]')

    def open_case(self, case_id: str) -> None:
        # Rows are re-rendered as live events arrive; find and click in one go, so a busy list
        # (the CI machine is slow) cannot detach the button between finding and clicking it.
        self.page.wait_for_function(OPEN_ROW, arg=case_id, timeout=LIVE_S)
        # The list is rebuilt when the stream resets or a case moves: as any live change, the
        # opened row may take LIVE_S to be listed (and marked current) again.
        expect(self.row(case_id)).to_have_attribute("aria-current", "true", timeout=LIVE_S)
        expect(self.page.locator("[data-testid=thread-item]").first).to_be_visible(timeout=LIVE_S)

    def check_healthy(self) -> None:
        """No script error happened and the page was never reloaded (updates came live)."""
        assert self.errors == []
        assert self.page.evaluate("window.__notReloaded === true")

    def shot(self, name: str, *, docs: bool = True) -> None:
        """A screenshot in artifacts/screenshots/ (and, with TWEETCARE_UPDATE_SCREENSHOTS=1,
        docs/screenshots/ for the README)."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.evaluate("document.querySelectorAll('.panel').forEach(p => p.scrollTo(0, 0))")
        self.page.wait_for_timeout(1200)  # countdowns and charts settle
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
        if docs and os.environ.get("TWEETCARE_UPDATE_SCREENSHOTS") == "1":
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SHOTS / path.name)


@pytest.fixture
def contexts(browser: Browser, demo: Demo, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Makes signed-out console tabs, each in its own browser context; on a failure, leaves a
    screenshot of each in artifacts/screenshots/failed-<test>-<n>.png."""
    made: list[Console] = []

    def new(locale: str = "en-US") -> Console:
        context = browser.new_context(viewport=VIEWPORT, locale=locale)
        made.append(Console(context.new_page(), demo))
        return made[-1]

    yield new
    report = getattr(request.node, "report_call", None)
    for n, console in enumerate(made):
        if report is not None and report.failed:
            SHOTS.mkdir(parents=True, exist_ok=True)
            console.page.screenshot(path=str(SHOTS / f"failed-{request.node.name}-{n}.png"))
        console.page.context.close()


def test_the_console_files_are_public_and_the_data_is_not(demo: Demo) -> None:
    page = httpx.get(demo.url, timeout=30)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for name, kind in (("console.js", "text/javascript"), ("i18n.js", "text/javascript"),
                       ("console.css", "text/css")):  # fmt: skip
        got = httpx.get(f"{demo.url}console/{name}", timeout=30)
        assert (got.status_code, got.headers["content-type"].split(";")[0]) == (200, kind)
    for name in ("routes_console.py", "%2e%2e%2fapp.py", "missing.js"):
        assert httpx.get(f"{demo.url}console/{name}", timeout=30).status_code == 404, name
    assert httpx.get(f"{demo.url}v1/queues", timeout=30).status_code == 401


def test_an_agent_answers_a_case_and_a_colleague_sees_it_live(demo: Demo, contexts: Any) -> None:
    a = contexts().sign_in(demo.tokens["agent"])
    queue = a.open_queue("care-en")
    expect(queue.get_by_test_id("queue-open")).not_to_have_text("0")
    b = contexts().sign_in(demo.token("Agent B", "agent"))
    b.open_queue("care-en", sla="not_breached")
    a.by("filter-sla").select_option("not_breached")
    expect(a.row(a.pick())).to_be_visible()  # this run's cases, counting down
    a.shot("queue-en")

    case_id = a.pick(channel="public", lang="en", minLeft=FIRST_RESPONSE_S - 17)
    expect(b.row(case_id)).to_be_visible(timeout=LIVE_S)
    a.open_case(case_id)
    expect(a.page.locator("[data-testid=triage-reasons]").first).to_be_visible()

    a.by("action-claim").click()
    expect(a.by("action-result")).to_have_attribute("data-status", "applied", timeout=LIVE_S)
    expect(a.by("case-assignee-name")).to_contain_text("Demo Agent")
    # B sees the claim without reloading, and is refused with the API's message.
    expect(b.row(case_id).get_by_test_id("case-assignee")).to_have_text(
        "Demo Agent", timeout=LIVE_S
    )
    expect(b.by("announcer")).to_contain_text("claimed by Demo Agent")
    b.open_case(case_id)
    b.by("action-claim").click()
    expect(b.by("action-result")).to_have_attribute("data-status", "rejected", timeout=LIVE_S)
    expect(b.by("action-result")).to_contain_text("already claimed by Demo Agent")

    # The count weighs CJK characters 2, as X does: 141 of them are too long for a public post.
    japanese = "ご" * 141
    a.by("reply-text").fill(japanese)
    expect(a.by("char-count")).to_have_attribute("data-weight", str(weighted_length(japanese)))
    expect(a.by("char-count")).to_contain_text(f"{weighted_length(japanese)} / {MAX_WEIGHT}")
    expect(a.by("reply-send")).to_be_disabled()

    canned = a.by("canned-select")
    # The picker offers the case's language only.
    expect(canned.locator("option", has_text="Looking into it")).to_have_count(1)
    expect(canned.locator("option[data-lang=ja]")).to_have_count(0)
    canned.select_option(label="Looking into it")
    text = a.by("reply-text").input_value()
    assert text.startswith("Thanks for letting us know, ")
    a.by("reply-signature").fill("DA")
    sent = f"{text} ^DA"
    expect(a.by("char-count")).to_have_text(f"{weighted_length(sent)} / {MAX_WEIGHT}")
    a.by("reply-send").click()
    expect(a.by("action-result")).to_have_attribute("data-status", "applied", timeout=LIVE_S)

    # Through the outbox and back as the brand's tweet: the first response, off the waiting list.
    outbound = a.page.locator("[data-testid=thread-item][data-direction=outbound]")
    expect(outbound).to_contain_text(sent, timeout=30_000)
    expect(a.by("first-response")).to_be_visible(timeout=LIVE_S)
    expect(a.by("case-state-badge")).to_have_attribute("data-state", "waiting_on_customer")
    expect(a.row(case_id)).to_have_count(0, timeout=LIVE_S)
    expect(b.row(case_id)).to_have_count(0, timeout=LIVE_S)
    expect(a.page.locator("[data-testid=history-item][data-kind=responded]")).to_have_count(1)
    a.by("note-text").fill("Asked about the app outage; follow up tomorrow.")
    a.by("note-add").click()
    expect(a.page.locator("[data-testid=thread-item][data-kind=note]")).to_contain_text(
        "follow up tomorrow", timeout=LIVE_S
    )
    a.check_healthy()
    b.check_healthy()
    a.shot("case-en")

    a.by("lang-select").select_option("ja")
    expect(a.by("first-response")).to_contain_text("初回応答まで")
    expect(a.by("reply-send")).to_have_text("返信を送信")
    a.shot("case-ja")
    a.by("case-close").click()
    a.by("filter-sla").select_option("any")
    expect(a.by("cases-title")).to_have_text("care-en のケース")
    expect(a.by("case-row").first).to_be_visible()
    a.shot("queue-ja")

    # A link opens the case again; e resolves it.
    a.page.goto(f"{demo.url}#queue=care-en&case={case_id}")
    expect(a.by("case-id")).to_have_text(case_id, timeout=LIVE_S)
    a.page.keyboard.press("e")
    expect(a.by("case-state-badge")).to_have_attribute("data-state", "resolved", timeout=LIVE_S)


def test_a_dm_case_is_answered_only_by_dm(demo: Demo, contexts: Any) -> None:
    agent = contexts().sign_in(demo.tokens["agent"])
    agent.open_queue("dm", sla="not_breached")
    case_id = agent.pick(channel="dm", minLeft=3)
    agent.open_case(case_id)

    expect(agent.by("case-channel")).to_have_attribute("data-channel", "dm")
    expect(
        agent.page.locator("[data-testid=thread-item] [data-testid=dm-marker]").first
    ).to_be_visible()
    expect(agent.by("channel-public")).to_have_count(0)
    expect(agent.by("channel-dm")).to_be_checked()
    expect(agent.by("dm-only")).to_be_visible()
    # A DM goes from the case's handle: the handle cannot be changed.
    expect(agent.by("reply-handle")).to_be_disabled()
    expect(agent.by("reply-handle-hint")).to_be_visible()
    long_dm = "ご注文番号をお知らせください。" * 12  # over 280 by weight: fine for a DM
    agent.by("reply-text").fill(long_dm)
    expect(agent.by("char-count")).to_contain_text("DM")
    expect(agent.by("reply-send")).to_be_enabled()

    # The API refuses a public reply to a DM case, whatever a client sends.
    refused = httpx.post(
        f"{demo.url}v1/cases/{case_id}/reply",
        json={"text": "Please see our public answer", "channel": "public"},
        headers={"Authorization": f"Bearer {demo.tokens['agent']}"},
        timeout=30,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "dm_case_public_reply"

    # Keyboard: ? shows the help, Esc closes it, j and k open the next and previous case.
    agent.by("reply-text").press("Escape")
    agent.page.keyboard.press("?")
    expect(agent.by("help")).to_be_visible()
    agent.page.keyboard.press("Escape")
    expect(agent.by("help")).to_be_hidden()
    agent.by("case-close").click()
    expect(agent.by("case-none")).to_be_visible()
    for key in ("j", "j", "k"):
        agent.page.keyboard.press(key)
        selected = agent.page.locator("[data-testid=case-row][aria-current=true]")
        expect(selected).to_have_count(1)
        expect(agent.by("case-id")).to_have_text(selected.get_attribute("data-case-id") or "-")
    agent.check_healthy()


def test_a_breach_appears_live(demo: Demo, contexts: Any) -> None:
    agent = contexts().sign_in(demo.tokens["agent"])
    agent.open_queue("care-ja", sla="not_breached")
    case_id = agent.pick(minLeft=15, maxLeft=FIRST_RESPONSE_S)
    agent.open_case(case_id)
    expect(agent.by("case-breached-badge")).to_have_count(0)

    expect(agent.by("case-breached-badge")).to_be_visible(timeout=(FIRST_RESPONSE_S + 15) * 1000)
    expect(agent.by("announcer")).to_contain_text("SLA breached")
    expect(agent.row(case_id)).to_have_count(0)  # it left the not-breached list
    expect(agent.page.locator("[data-testid=history-item][data-kind=sla_breach]")).to_have_count(
        1, timeout=LIVE_S
    )
    agent.check_healthy()


def test_a_supervisor_sees_sla_charts(demo: Demo, contexts: Any) -> None:
    boss = contexts().sign_in(demo.tokens["supervisor"])
    boss.by("nav-supervisor").click()
    expect(boss.by("supervisor")).to_be_visible()
    attainment = boss.by("chart-attainment")
    expect(attainment.locator("svg rect.bar").first).to_be_visible(timeout=LIVE_S)
    expect(attainment.locator("table")).to_contain_text("care-en")
    expect(boss.by("chart-response").locator("svg rect.bar.p50").first).to_be_visible()
    expect(boss.by("chart-backlog").locator("svg polyline")).to_have_count(3)
    boss.shot("supervisor-en", docs=False)
    boss.check_healthy()
