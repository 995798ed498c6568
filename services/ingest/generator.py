"""A generated bilingual stream that looks like real support traffic, for demos without X.

Pure and reproducible: ``generate(seed, start)`` yields tweet events in time order from ``start``.
Each scenario is a small conversation: a customer's tweet, the brand's reply minutes later (or
never), sometimes a follow-up; DMs with order and phone numbers; praise; spam; a retweet flood of
a brand announcement; user-to-user chatter that mentions the brand; and Japanese tweets that never
@-mention the brand, found by a keyword rule (active support).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.ingest.generator_text import BRAND, CUSTOMER, ITEMS
from services.ingest.normalise import SNOWFLAKE_EPOCH_MS, build_event
from services.plumbing.contracts.common import Channel, Direction
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TweetEvent

BRAND_ID = "acme"
HANDLES = {"en": ("AcmeHelp", "3019280001"), "ja": ("acme_jp", "3019283746")}
KEYWORD_RULE = "acme/keyword-ja"

# Scenario weights: mostly people who need an answer, as in real support traffic.
SCENARIOS = {
    "delivery": 18, "billing": 9, "outage": 7, "account": 8, "returns": 7, "question": 10,
    "praise": 7, "chatter": 6, "spam": 5, "dm": 8, "keyword": 8, "retweets": 1,
}  # fmt: skip


@dataclass
class _Ids:
    sequence: itertools.count[int] = field(default_factory=itertools.count)

    def tweet_id(self, at: datetime) -> str:
        """A snowflake-shaped id that carries ``at``, as X ids do."""
        ms = int(at.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
        return str((ms << 22) | (next(self.sequence) % (1 << 22)))


@dataclass(order=True)
class _Due:
    at: datetime
    order: int
    event: TweetEvent = field(compare=False)


class Generator:
    """Builds scenarios with one random source (``seed``) so a run can be repeated exactly."""

    def __init__(self, seed: int, mean_gap_s: float, customers: int = 400) -> None:
        self.rng = random.Random(seed)
        self.mean_gap_s = mean_gap_s
        self.ids = _Ids()
        self.customers = [
            str(10_000_000 + self.rng.randrange(90_000_000)) for _ in range(customers)
        ]

    def _fill(self, template: str, lang: str, **extra: str) -> str:
        r = self.rng
        phone = (
            f"090-{r.randrange(1000, 9999)}-{r.randrange(1000, 9999)}"
            if lang == "ja"
            else f"+1 415 555 {r.randrange(1000, 9999)}"
        )
        return template.format(
            handle=HANDLES[lang][0],
            order=f"{r.randrange(100, 999)}-{r.randrange(1000000, 9999999)}",
            phone=phone,
            days=str(r.randrange(2, 12)),
            item=r.choice(ITEMS[lang]),
            friend=extra.get("friend", "friend"),
            customer=extra.get("customer", ""),
        )

    def _customer(self, lang: str) -> Author:
        user_id = self.rng.choice(self.customers)
        followers = int(self.rng.paretovariate(1.2) * 40)
        name = f"user{user_id[-4:]}" if lang == "en" else f"ユーザー{user_id[-4:]}"
        return Author(
            id=user_id, handle=f"u{user_id}", name=name, followers=min(followers, 2_000_000)
        )

    def _brand(self, lang: str) -> Author:
        handle, user_id = HANDLES[lang]
        return Author(id=user_id, handle=handle, name="ACME", followers=250_000, verified=True)

    def _event(
        self, at: datetime, text: str, author: Author, lang: str, **kw: object
    ) -> TweetEvent:
        tweet_id = str(kw.pop("tweet_id", None) or self.ids.tweet_id(at))
        outbound = author.id == HANDLES[lang][1]
        customer = str(kw.pop("customer_id", author.id))
        matched = kw.pop("matched", None) or [
            Match(kind=MatchKind.OWN if outbound else MatchKind.MENTION, rule=HANDLES[lang][0])
        ]
        return build_event(
            tweet_id=tweet_id,
            conversation_id=str(kw.pop("conversation_id", tweet_id)),
            text=text,
            author=author,
            brand=BRAND_ID,
            handle=HANDLES[lang][0],
            matched=matched,  # type: ignore[arg-type]
            direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
            customer_id=customer,
            created_at=at,
            received_at=at,
            source=Source.GENERATED,
            lang_hint=lang,
            **kw,  # type: ignore[arg-type]
        )

    def scenario(self, at: datetime) -> list[TweetEvent]:
        """One scenario's events (their times start at ``at``)."""
        kind = self.rng.choices(list(SCENARIOS), weights=list(SCENARIOS.values()))[0]
        lang = "ja" if kind == "keyword" or self.rng.random() < 0.45 else "en"
        if kind == "retweets":
            return self._retweet_flood(at, lang)
        if kind == "dm":
            return self._dm(at, lang)
        person = self._customer(lang)
        friend = self._customer(lang)
        text = self._fill(self.rng.choice(CUSTOMER[lang][kind]), lang, friend=friend.handle)
        extra: dict[str, object] = {}
        if kind == "keyword":
            extra["matched"] = [Match(kind=MatchKind.KEYWORD, rule=KEYWORD_RULE)]
        opening = self._event(at, text, person, lang, **extra)
        events = [opening]
        if kind in ("spam", "chatter"):
            return events
        if kind == "praise" and self.rng.random() < 0.5:
            return events
        answered = self.rng.random() < 0.8
        reply_at = at + timedelta(seconds=self.rng.uniform(60, 1800))
        if self.rng.random() < 0.3:
            follow = self._fill(self.rng.choice(CUSTOMER[lang]["followup"]), lang)
            follow_at = at + timedelta(seconds=self.rng.uniform(120, 2400))
            events.append(
                self._event(
                    follow_at,
                    follow,
                    person,
                    lang,
                    conversation_id=opening.conversation_id,
                    in_reply_to_tweet_id=opening.tweet_id,
                    in_reply_to_user_id=person.id,
                )
            )
        if answered:
            pool = BRAND[lang]["praise" if kind == "praise" else "reply"]
            reply = self._fill(self.rng.choice(pool), lang, customer=person.handle)
            events.append(
                self._event(
                    reply_at,
                    reply,
                    self._brand(lang),
                    lang,
                    customer_id=person.id,
                    conversation_id=opening.conversation_id,
                    in_reply_to_tweet_id=opening.tweet_id,
                    in_reply_to_user_id=person.id,
                )
            )
        return events

    def _dm(self, at: datetime, lang: str) -> list[TweetEvent]:
        person = self._customer(lang)
        conversation = f"{person.id}-{HANDLES[lang][1]}"
        text = self._fill(self.rng.choice(CUSTOMER[lang]["dm"]), lang)
        dm = dict(channel=Channel.DM, dm_conversation_id=conversation, conversation_id=conversation)
        events = [self._event(at, text, person, lang, matched=[Match(kind=MatchKind.DM)], **dm)]
        if self.rng.random() < 0.7:
            reply_at = at + timedelta(seconds=self.rng.uniform(120, 1500))
            answer = self._fill(self.rng.choice(BRAND[lang]["dm"]), lang)
            events.append(
                self._event(reply_at, answer, self._brand(lang), lang, customer_id=person.id, **dm)
            )
        return events

    def _retweet_flood(self, at: datetime, lang: str) -> list[TweetEvent]:
        original = self.ids.tweet_id(at - timedelta(minutes=5))
        announce = BRAND[lang]["announce"][0]
        events = []
        for i in range(self.rng.randrange(5, 20)):
            fan = self._customer(lang)
            when = at + timedelta(seconds=i * self.rng.uniform(0.2, 3))
            events.append(
                self._event(
                    when, f"RT @{HANDLES[lang][0]}: {announce}", fan, lang, retweet_of_id=original
                )
            )
        return events


def generate(
    seed: int, start: datetime, *, tweets_per_minute: float = 30.0, customers: int = 400
) -> Iterator[TweetEvent]:
    """An endless stream of generated events in time order, starting at ``start``, from
    ``customers`` distinct people (a big brand's spike comes from many of them)."""
    gen = Generator(seed, 60.0 / tweets_per_minute, customers)
    due: list[_Due] = []
    order = itertools.count()
    next_scenario = start
    while True:
        while not due or due[0].at >= next_scenario:
            for event in gen.scenario(next_scenario):
                heapq.heappush(due, _Due(event.created_at, next(order), event))
            next_scenario += timedelta(seconds=gen.rng.expovariate(1.0 / gen.mean_gap_s))
        yield heapq.heappop(due).event
