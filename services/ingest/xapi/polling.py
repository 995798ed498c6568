"""Polling X: mentions per brand handle, recent search per rule, DMs per brand account.

Each poll asks for what came after its cursor, page by page (newest first, ``next_token``),
hands each page's events to the sink, and only then moves its cursor (see ``cursors.py``), so a
restart neither loses nor repeats. Events come from the shared normaliser (``x_payloads``): a
tweet by a brand handle is outbound, one mentioning a handle is a mention, a reply to a brand
tweet is a thread reply, a keyword rule's tweet is a keyword match; DMs are channel ``dm``.
Keyword search is optional: it stops while the cost meter says to pause.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.ingest.brands import BrandMap
from services.ingest.x_payloads import PayloadError, dm_event, users_by_id
from services.ingest.xapi.client import XApi
from services.ingest.xapi.cost import CostMeter, Usage
from services.ingest.xapi.cursors import Cursor, Cursors, cursor_key
from services.ingest.xapi.rules import RuleKind, RuleSpec
from services.ingest.xapi.sink import Sink, page_tweet_events
from services.plumbing.clock import Clock
from services.plumbing.contracts.tweets import Source, TweetEvent

Fetch = Callable[[str | None, str | None, str | None], dict[str, Any]]
"""One page given ``since_id``, ``until_id`` and the pagination token."""

MENTIONS = "GET /2/users/:id/mentions"
SEARCH = "GET /2/tweets/search/recent"
DM_EVENTS = "GET /2/dm_events"


@dataclass
class PollReport:
    published: int = 0
    pages: int = 0
    paused: list[str] = field(default_factory=list)  # tags of optional rules skipped for cost

    def add(self, other: PollReport) -> None:
        self.published += other.published
        self.pages += other.pages
        self.paused += other.paused


def resolve_user_ids(api: XApi, handles: Sequence[str]) -> dict[str, str]:
    """``{handle: user id}`` for the brand handles (lowercased); raises ``XApiError`` if unknown."""
    return {h.lstrip("@").lower(): str(api.user_by_username(h)["id"]) for h in handles}


def _after(event_id: str, since: str) -> bool:
    """Snowflake ids as strings: longer is later, then by digits."""
    return (len(event_id), event_id) > (len(since), since)


def _bounds(page: Mapping[str, Any]) -> tuple[str, str]:
    """The newest and oldest ids of a page, from ``meta`` or, failing that, its data."""
    meta = page.get("meta") or {}
    ids = sorted((str(t["id"]) for t in page["data"]), key=lambda i: (len(i), i))
    return str(meta.get("newest_id") or ids[-1]), str(meta.get("oldest_id") or ids[0])


class Poller:
    """Polls with one reading client; hands events to ``sink``; keeps cursors in ``cursors``."""

    def __init__(
        self, api: XApi, brands: BrandMap, cursors: Cursors, sink: Sink, *, clock: Clock,
        cost: CostMeter | None = None, page_size: int = 100, max_pages: int = 10,
    ) -> None:  # fmt: skip
        if not 10 <= page_size <= 100:
            raise ValueError("page_size must be between 10 and 100 (X's limits)")
        self.api = api
        self.brands = brands
        self.cursors = cursors
        self.sink = sink
        self.clock = clock
        self.cost = cost
        self.page_size = page_size
        self.max_pages = max_pages

    def _count(self, endpoint: str, usage: Usage, page: Mapping[str, Any]) -> None:
        if self.cost is not None:
            now = self.clock.now()
            self.cost.record(endpoint, usage, len(page.get("data") or []), now=now)
            users = (page.get("includes") or {}).get("users") or []
            self.cost.record(endpoint, Usage.USER_READ, len(users), now=now)

    def _publish(self, events: Sequence[TweetEvent], report: PollReport) -> None:
        if events:
            self.sink.publish(events)
            report.published += len(events)

    def _timeline(
        self, key: str, endpoint: str, fetch: Fetch, source: Source,
        rules: Sequence[Mapping[str, str]] | None = None,
    ) -> PollReport:  # fmt: skip
        report = PollReport()
        start = self.cursors.get(key)
        newest, until, token = start.newest_id, start.until_id, None
        done = False
        while not done and report.pages < self.max_pages:
            page = fetch(start.since_id, start.until_id, token)
            report.pages += 1
            self._count(endpoint, Usage.POST_READ, page)
            if not page.get("data"):
                done = True
                break
            received = self.clock.now()
            events = page_tweet_events(
                page, self.brands, self.sink, received_at=received, source=source,
                matching_rules=rules,
            )  # fmt: skip
            self._publish(events, report)
            page_newest, until = _bounds(page)
            newest = newest or page_newest
            token = (page.get("meta") or {}).get("next_token")
            done = token is None
            if not done:
                self.cursors.put(key, Cursor(start.since_id, newest, until))
        if done:
            self.cursors.put(key, Cursor(since_id=newest or start.since_id))
        else:  # the page limit: the next poll resumes below ``until``
            self.cursors.put(key, Cursor(start.since_id, newest, until))
        return report

    def mentions(self, handle: str, user_id: str) -> PollReport:
        """New tweets mentioning ``handle`` (user ``user_id``)."""

        def fetch(since: str | None, until: str | None, token: str | None) -> dict[str, Any]:
            return self.api.mentions(
                user_id, since_id=since, until_id=until, pagination_token=token,
                max_results=self.page_size,
            )  # fmt: skip

        return self._timeline(cursor_key("mentions", handle), MENTIONS, fetch, Source.X_MENTIONS)

    def search(self, rule: RuleSpec) -> PollReport:
        """New tweets matching ``rule`` (skipped, and reported paused, while cost says so)."""
        paused = self.cost is not None and self.cost.pause_optional_polling(self.clock.now())
        if rule.optional and paused:
            return PollReport(paused=[rule.tag])

        def fetch(since: str | None, until: str | None, token: str | None) -> dict[str, Any]:
            return self.api.search_recent(
                rule.value, since_id=since, until_id=until, next_token=token,
                max_results=self.page_size,
            )  # fmt: skip

        source = Source.X_OWN if rule.kind == RuleKind.OWN else Source.X_SEARCH
        tag = [{"id": "search", "tag": rule.tag}]
        return self._timeline(cursor_key("search", rule.tag), SEARCH, fetch, source, tag)

    def dms(self, handle: str, api: XApi, brand_user_ids: Mapping[str, str]) -> PollReport:
        """New DM events of the account ``handle`` (``api`` holds its user token).

        ``/2/dm_events`` has no ``since_id``: pages are read back to the cursor (on the first
        run, at most ``max_pages``), then all new events are published and the cursor moves.
        A crash between the two repeats those events; their event ids make the repeat harmless.
        """
        report = PollReport()
        key = cursor_key("dm", handle)
        since = self.cursors.get(key).since_id
        fresh: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]] = []
        token: str | None = None
        while True:
            page = api.dm_events(pagination_token=token, max_results=self.page_size)
            report.pages += 1
            self._count(DM_EVENTS, Usage.DM_EVENT_READ, page)
            users = users_by_id(page.get("includes"))
            data = page.get("data") or []
            new = [e for e in data if since is None or _after(str(e["id"]), since)]
            fresh += [(e, users) for e in new]
            token = (page.get("meta") or {}).get("next_token")
            if len(new) < len(data) or token is None:
                break
            if since is None and report.pages >= self.max_pages:
                break
        received = self.clock.now()
        events: list[TweetEvent] = []
        for event, users in reversed(fresh):
            try:
                made = dm_event(event, users, self.brands, brand_user_ids, received_at=received)
            except (PayloadError, ValueError, KeyError, TypeError) as exc:
                self.sink.reject(event, f"{type(exc).__name__}: {exc}")
                continue
            if made is not None:
                events.append(made)
        self._publish(events, report)
        if fresh:
            self.cursors.put(key, Cursor(since_id=str(fresh[0][0]["id"])))
        return report

    def poll_all(
        self, user_ids: Mapping[str, str], rules: Sequence[RuleSpec],
        dm_apis: Mapping[str, XApi] | None = None,
    ) -> PollReport:  # fmt: skip
        """One round: mentions of every handle, search of every own and keyword rule, DMs of
        every account with a user token (``dm_apis``: handle → client)."""
        report = PollReport()
        for handle, user_id in user_ids.items():
            report.add(self.mentions(handle, user_id))
        for rule in rules:
            if rule.kind != RuleKind.MENTION:  # mentions come from the mentions timeline
                report.add(self.search(rule))
        brand_ids = {user_id: handle for handle, user_id in user_ids.items()}
        for handle, api in (dm_apis or {}).items():
            report.add(self.dms(handle, api, brand_ids))
        return report
