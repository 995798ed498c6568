"""Active support in the console, in Chromium against the whole running system (`tweetcare demo`):
an agent searches in Japanese, opens a keyword tweet (one that never @-mentions the brand) as a
case (要対応), answers it from the Japanese handle (picked among the brand's), saves the search as
a folder shared with the queue's team and exports it as CSV; a supervisor sees the support rate
move on the report.
A case with personal data in public offers the DM nudge, and a public reply that repeats the
data is refused.

Screenshots of the search and report screens in English and Japanese go to
``artifacts/screenshots/`` (and ``docs/screenshots/`` with TWEETCARE_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Demo
from tests.e2e.test_console import LIVE_S, Console, contexts  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.elasticsearch]

ACTIVE = "active-support"  # the demo's queue of keyword tweets (demo-triage.yaml)
EN_HANDLE_ID = "3019280001"  # AcmeHelp's X user id in the demo's generated stream
EN_HANDLE, JA_HANDLE = "AcmeHelp", "acme_jp"  # the demo brand's handles
ORDER = r"order (\d{3}-\d{7})"  # an order number in a tweet's text (personal data)

# The first listed hit of this run that fits (None: none yet).
HIT = """(c) => {
  for (const tr of document.querySelectorAll('[data-testid=search-hit]')) {
    const d = tr.dataset;
    if (d.direction === 'outbound' || Date.parse(d.created) < c.after) continue;
    if (c.queue && d.queue !== c.queue) continue;
    if (c.channel && d.channel !== c.channel) continue;
    if (c.pattern && !new RegExp(c.pattern).test(tr.textContent)) continue;
    return d.tweetId;
  }
  return null;
}"""


def find_hit(page: Console, timeout_s: float = 120, **criteria: Any) -> str:
    """Search again until a hit of this run fits ``criteria`` (queue, channel, a pattern of its
    text); its tweet id."""
    after = page.demo.started_at.timestamp() * 1000
    wanted = {"after": after, "queue": None, "channel": None, "pattern": None, **criteria}
    deadline = time.monotonic() + timeout_s
    while True:
        found = page.page.evaluate(HIT, wanted)
        if found:
            return str(found)
        assert time.monotonic() < deadline, f"no hit fitting {wanted} in {timeout_s} s"
        page.page.wait_for_timeout(3000)
        page.by("search-submit").click()
        expect(page.by("search-message")).to_have_text("", timeout=LIVE_S)


def refresh_until(boss: Console, check: str, arg: Any, timeout_s: float = 60) -> None:
    """Refresh the report until ``check`` (a function of the page, given ``arg``) holds."""
    deadline = time.monotonic() + timeout_s
    while not boss.page.evaluate(check, arg):
        assert time.monotonic() < deadline, f"the report never showed {check} of {arg!r}"
        boss.by("report-refresh").click()
        boss.page.wait_for_timeout(1500)


HAS_TOTALS = "() => !!document.querySelector('[data-testid=report-counts]')"
# The agent's row, answered (the support rate as the page holds the API's number).
ANSWERED = """(name) => {
  const row = [...document.querySelectorAll('[data-testid=report-row]')]
    .find((tr) => tr.dataset.group === name);
  return !!row && row.dataset.replied === '1' && row.dataset.supportRate === '1';
}"""


def open_report(boss: Console) -> None:
    boss.by("nav-report").click()
    expect(boss.by("report-view")).to_be_visible()
    boss.by("report-window").select_option("day")
    boss.by("report-by").select_option("agent")
    refresh_until(boss, HAS_TOTALS, None)  # the run's first cases have opened


def test_search_in_japanese_open_answer_share_export_and_report(
    demo: Demo,
    contexts: Any,  # noqa: F811
) -> None:
    name = f"アイコ {uuid.uuid4().hex[:6]}"
    boss = contexts().sign_in(demo.tokens["supervisor"])
    open_report(boss)
    expect(boss.page.locator(f'[data-testid=report-row][data-group="{name}"]')).to_have_count(0)
    replied_before = int(boss.by("report-counts").get_attribute("data-replied") or "-1")
    assert replied_before >= 0

    agent = contexts("ja-JP").sign_in(demo.token(name, "agent"))
    expect(agent.by("nav-search")).to_have_text("検索")
    agent.by("nav-search").click()
    expect(agent.by("search-view")).to_be_visible()
    agent.by("search-text").fill("アクメ")
    agent.by("search-lang").select_option("ja")
    agent.by("search-submit").click()
    expect(agent.by("search-total")).to_contain_text("件", timeout=LIVE_S)
    active = agent.page.locator(
        f'[data-testid=facet-value][data-facet=queue][data-value="{ACTIVE}"]'
    )
    expect(active).to_be_visible(timeout=60_000)
    active.check()
    tweet_id = find_hit(agent, queue=ACTIVE)
    hit = agent.page.locator(f'[data-testid=search-hit][data-tweet-id="{tweet_id}"]')
    expect(hit).to_contain_text("アクメ")
    expect(hit).not_to_contain_text("@acme_jp")  # a keyword tweet: the brand is not mentioned
    agent.shot("search-ja")

    # 要対応: the tweet's case opens in the console (the one triage opened, or a new one).
    hit.get_by_test_id("search-open-case").click()
    expect(agent.by("workspace")).to_be_visible(timeout=LIVE_S)
    inbound = agent.page.locator(
        f'[data-testid=thread-item][data-direction=inbound][data-tweet-id="{tweet_id}"]'
    )
    expect(inbound).to_be_visible(timeout=LIVE_S)
    case_id = agent.by("case-id").inner_text()
    # The replying handle: the brand's handles are offered, the case's (Japanese) one first;
    # the agent picks the Japanese handle and the console sends that choice.
    handle = agent.by("reply-handle")
    expect(handle.locator(f'option[value="{EN_HANDLE}"]')).to_have_count(1, timeout=LIVE_S)
    expect(handle).to_have_value(JA_HANDLE)
    handle.select_option(EN_HANDLE)
    handle.select_option(JA_HANDLE)
    sent = f"ご不便をおかけしております。確認いたします。{uuid.uuid4().hex[:4]}"
    agent.by("reply-text").fill(sent)
    with agent.page.expect_request(lambda r: r.url.endswith(f"/v1/cases/{case_id}/reply")) as ask:
        agent.by("reply-send").click()
    assert ask.value.post_data_json["handle"] == JA_HANDLE
    expect(agent.by("action-result")).to_have_attribute("data-status", "applied", timeout=LIVE_S)
    # Out through the outbox and back as the brand's tweet, from the Japanese handle.
    outbound = agent.page.locator("[data-testid=thread-item][data-direction=outbound]")
    expect(outbound.filter(has_text=sent)).to_contain_text(f"@{JA_HANDLE}", timeout=30_000)

    # The search, kept as a folder shared with the queue's team, exported as CSV.
    agent.by("nav-search").click()
    expect(agent.by("search-text")).to_have_value("アクメ")
    folder = f"アクメ {ACTIVE} {uuid.uuid4().hex[:4]}"
    agent.by("folder-name").fill(folder)
    agent.by("folder-visibility").select_option("shared")
    agent.by("folder-queue").select_option(ACTIVE)
    agent.by("folder-save").click()
    saved = agent.page.locator("[data-testid=folder]", has_text=folder)
    expect(saved).to_have_attribute("data-visibility", "shared", timeout=LIVE_S)
    expect(saved).to_have_attribute("data-queue", ACTIVE)
    with agent.page.expect_download() as got:
        saved.get_by_test_id("folder-export").click()
    download = got.value
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert tweet_id in {r["tweet_id"] for r in rows}
    assert {r["queue"] for r in rows} == {ACTIVE}
    assert all(r["lang"] == "ja" for r in rows)
    expect(agent.by("search-message")).to_contain_text(download.suggested_filename)

    # A colleague sees the shared folder (and may not delete it).
    colleague = contexts().sign_in(demo.token("Agent C", "agent"))
    colleague.by("nav-search").click()
    theirs = colleague.page.locator("[data-testid=folder]", has_text=folder)
    expect(theirs).to_be_visible(timeout=LIVE_S)
    expect(theirs.get_by_test_id("folder-delete")).to_have_count(0)
    colleague.shot("search-en")

    # The report: the agent's row appears with the case answered, and the total moves.
    refresh_until(boss, ANSWERED, name)
    replied_after = int(boss.by("report-counts").get_attribute("data-replied") or "-1")
    assert replied_after > replied_before
    with boss.page.expect_download() as report_csv:
        boss.by("report-download").click()
    table = list(csv.DictReader(io.StringIO(report_csv.value.path().read_text(encoding="utf-8"))))
    assert [(r["replied"], r["support_rate"]) for r in table if r["agent"] == name] == [
        ("1", "1.0")
    ]
    boss.shot("report-en")
    boss.by("lang-select").select_option("ja")
    expect(boss.by("report-support_rate")).to_contain_text("対応率")
    expect(boss.page.locator("[data-testid=report-table] thead th").first).to_have_text("担当者")
    boss.shot("report-ja")
    for page in (agent, colleague, boss):
        page.check_healthy()
    assert case_id


def test_a_case_with_personal_data_offers_the_dm_nudge_and_refuses_repeating_it(
    demo: Demo,
    contexts: Any,  # noqa: F811
) -> None:
    agent = contexts().sign_in(demo.token("Agent P", "agent"))
    agent.by("nav-search").click()
    # The demo's English complaints give their order number in public (AcmeHelp's queue).
    agent.by("search-text").fill("order")
    agent.by("search-lang").select_option("en")
    agent.by("search-submit").click()
    expect(agent.by("search-total")).to_contain_text("found", timeout=LIVE_S)
    tweet_id = find_hit(agent, channel="public", pattern=ORDER)
    hit = agent.page.locator(f'[data-testid=search-hit][data-tweet-id="{tweet_id}"]')
    order = re.search(ORDER, hit.inner_text())
    assert order is not None, hit.inner_text()
    hit.get_by_test_id("search-open-case").click()
    expect(agent.by("pii-warning")).to_be_visible(timeout=LIVE_S)
    expect(agent.by("dm-nudge")).to_contain_text("@AcmeHelp")
    link = f"https://twitter.com/messages/compose?recipient_id={EN_HANDLE_ID}"
    expect(agent.by("dm-link")).to_have_attribute("href", link, timeout=LIVE_S)
    agent.by("dm-nudge-insert").click()
    expect(agent.by("reply-text")).to_have_value(
        "We'd like to help, but please don't share personal details in public. "
        f"Send us a DM and we'll pick it up there: {link}"
    )
    expect(agent.by("channel-public")).to_be_checked()
    expect(agent.by("reply-send")).to_be_enabled()

    # Repeating the customer's order number in public is refused by the API.
    agent.by("reply-text").fill(f"We are checking order {order.group(1)} now.")
    agent.by("reply-send").click()
    result = agent.by("action-result")
    expect(result).to_have_attribute("data-code", "pii_in_public_reply", timeout=LIVE_S)
    expect(result).to_have_attribute("data-status", "failed")  # a 422: nothing was sent
    expect(result).to_contain_text("order_number")
    expect(agent.by("reply-text")).to_have_value(f"We are checking order {order.group(1)} now.")
    agent.check_healthy()
