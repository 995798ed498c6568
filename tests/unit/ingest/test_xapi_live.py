"""The live X sources driving tweepy's real code against the local fake X (tests/xapi/server.py).

No network beyond loopback, no Kafka: the sink is a list, the clock and sleep are fakes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from services.ingest.brands import BrandMap
from services.ingest.xapi.client import ApiCalls, Connection, XApi, XApiError, XSession
from services.ingest.xapi.cost import Budget, CostMeter, Prices, Usage
from services.ingest.xapi.cursors import Cursor, CursorStore
from services.ingest.xapi.outbox import LedgerEntry, Outbox, ReplyLedger
from services.ingest.xapi.polling import Poller, resolve_user_ids
from services.ingest.xapi.rules import KeywordConfig, RuleKind, RuleSpec, brand_rules
from services.ingest.xapi.settings import XApiSettings
from services.ingest.xapi.stream import StreamConsumer
from services.plumbing.clock import FakeClock
from services.plumbing.contracts.actions import Actor
from services.plumbing.contracts.common import Channel, Direction
from services.plumbing.contracts.outbox import OutboxReply
from services.plumbing.contracts.tweets import MatchKind, Source, TweetEvent
from tests.xapi.server import APP_TOKEN, FakeX
from tests.xapi.stream import DISCONNECT, END, KEEPALIVE, line, raw

pytestmark = pytest.mark.timeout(10)

BRANDS = BrandMap.from_pairs(["AcmeHelp=acme", "acme_jp=acme"])
KEYWORDS = [KeywordConfig("acme", ("Acme", "#AcmeFail"), lang="ja")]
MENTIONS = "GET /2/users/:id/mentions"
STREAM = "GET /2/tweets/search/stream"


class Sleeps(list[float]):
    """Records each wait and moves the clock on, as a real sleep would."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.clock.advance(seconds)


class ListSink:
    def __init__(self, *, fail_on_call: int | None = None) -> None:
        self.events: list[TweetEvent] = []
        self.rejected: list[tuple[Any, str]] = []
        self.calls = 0
        self.fail_on_call = fail_on_call

    def publish(self, events: Sequence[TweetEvent]) -> None:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("Kafka is down")
        self.events.extend(events)

    def reject(self, payload: Any, reason: str) -> None:
        self.rejected.append((payload, reason))

    @property
    def ids(self) -> list[str]:
        return [e.tweet_id for e in self.events]


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with FakeX() as x:
        x.add_user("AcmeHelp", verified=True, followers=90_000)
        x.add_user("acme_jp", verified=True)
        x.add_user("mika_t", name="Mika", followers=1200)
        yield x


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 22, 6, 0, tzinfo=UTC))


@pytest.fixture
def sleeps(clock: FakeClock) -> Sleeps:
    return Sleeps(clock)


@pytest.fixture
def conn(fake: FakeX, clock: FakeClock, sleeps: Sleeps) -> Connection:
    return Connection(fake.base_url, ApiCalls(), clock=clock, sleep=sleeps)


def _poller(conn: Connection, tmp_path: Path, sink: ListSink, **kwargs: Any) -> Poller:
    store = CursorStore(tmp_path / "cursors.json")
    clock = conn.clock
    return Poller(XApi(APP_TOKEN, conn), BRANDS, store, sink, clock=clock, **kwargs)


def _rule(kind: RuleKind) -> RuleSpec:
    return next(r for r in brand_rules(BRANDS, KEYWORDS) if r.kind == kind)


def _reply(reply_id: str, **fields: Any) -> OutboxReply:
    values: dict[str, Any] = {
        "event_id": f"ev-{reply_id}", "reply_id": reply_id, "case_id": "case-1",
        "case_key": "acme:1002", "brand": "acme", "handle": "AcmeHelp", "channel": Channel.PUBLIC,
        "text": "お待たせしました。DMで詳細をお送りください。",
        "requested_by": Actor(id="agent-7", name="Aiko", role="agent"),
        "requested_at": datetime(2026, 11, 22, 6, 0, tzinfo=UTC),
    }  # fmt: skip
    return OutboxReply(**(values | fields))


def _outbox(fake: FakeX, conn: Connection, path: Path) -> Outbox:
    apis = {"AcmeHelp": XApi(fake.token_of("AcmeHelp"), conn)}
    return Outbox(apis, ReplyLedger(path), clock=conn.clock)


# --- the filtered stream ------------------------------------------------------------------------


def test_stream_lines_arrive_as_tweet_events(
    fake: FakeX, conn: Connection, clock: FakeClock
) -> None:
    sink = ListSink()
    consumer = StreamConsumer(APP_TOKEN, conn, BRANDS, sink, clock=clock, sleep=conn.sleep)
    consumer.sync_rules(brand_rules(BRANDS, KEYWORDS))
    mention = fake.add_tweet("mika_t", "@AcmeHelp 荷物がまだ届きません", lang="ja")
    keyword = fake.add_tweet("mika_t", "Acme の配達が遅い #AcmeFail", lang="ja")
    fake.script_stream([line(mention["id"]), KEEPALIVE, line(keyword["id"]), END])

    report = consumer.run(max_attempts=1)

    assert sink.ids == [mention["id"], keyword["id"]]
    first, second = sink.events
    assert (first.brand, first.handle, first.matched[0].kind) == ("acme", "AcmeHelp", "mention")
    assert first.author.handle == "mika_t"
    assert first.author.followers == 1200
    assert first.source == Source.X_STREAM
    assert first.received_at == clock.now()
    assert second.matched[0].kind == MatchKind.KEYWORD
    assert second.matched[0].rule == "acme/keyword"
    assert second.lang_hint == "ja"
    assert (report.connections, report.published) == (1, 2)


def test_a_thread_reply_without_the_mention_arrives_as_a_thread_match(
    fake: FakeX, conn: Connection
) -> None:
    sink = ListSink()
    consumer = StreamConsumer(APP_TOKEN, conn, BRANDS, sink, clock=conn.clock, sleep=conn.sleep)
    consumer.sync_rules(brand_rules(BRANDS))
    question = fake.add_tweet("mika_t", "@acme_jp 返金はいつ?")
    answer = fake.add_tweet("acme_jp", "3営業日以内です", reply_to=question["id"])
    follow_up = fake.add_tweet("mika_t", "了解です", reply_to=answer["id"], mention_parent=False)
    fake.script_stream([line(answer["id"]), line(follow_up["id"]), END])

    consumer.run(max_attempts=1)

    own, thread = sink.events
    assert (own.direction, own.matched[0].kind) == (Direction.OUTBOUND, MatchKind.OWN)
    assert (thread.direction, thread.matched[0].kind) == (Direction.INBOUND, MatchKind.THREAD)
    assert thread.handle == "acme_jp"
    assert thread.mentions == []
    assert thread.case_key == own.case_key


def test_rule_sync_deletes_stale_and_adds_missing(fake: FakeX, conn: Connection) -> None:
    wanted = brand_rules(BRANDS, KEYWORDS)
    stale = fake.add_rule("acme old rule", "acme/old")
    fake.add_rule(wanted[0].value, wanted[0].tag)
    consumer = StreamConsumer(
        APP_TOKEN, conn, BRANDS, ListSink(), clock=conn.clock, sleep=conn.sleep
    )

    first = consumer.sync_rules(wanted)
    again = consumer.sync_rules(wanted)

    assert first.deleted == [stale["id"]]
    assert first.added == [r.tag for r in wanted[1:]]
    assert (again.added, again.deleted, again.kept) == ([], [], len(wanted))
    assert sorted((r["value"], r["tag"]) for r in fake.rules.values()) == sorted(
        (r.value, r.tag) for r in wanted
    )
    assert fake.calls["POST /2/tweets/search/stream/rules"] == 2  # one delete, one add


def test_a_disconnect_mid_stream_reconnects_and_continues(
    fake: FakeX, conn: Connection, sleeps: Sleeps
) -> None:
    fake.add_rule("@AcmeHelp -is:retweet", "acme/mention")
    tweets = [fake.add_tweet("mika_t", f"@AcmeHelp 注文 {n} はどこ?") for n in range(3)]
    fake.script_stream(
        [line(tweets[0]["id"]), line(tweets[1]["id"]), DISCONNECT],
        [line(tweets[2]["id"]), END],
    )
    sink = ListSink()
    consumer = StreamConsumer(APP_TOKEN, conn, BRANDS, sink, clock=conn.clock, sleep=sleeps)

    report = consumer.run(max_attempts=2)

    assert sink.ids == [t["id"] for t in tweets]
    assert fake.calls[STREAM] == 2
    assert report.connections == 2
    assert sleeps == [0.25]  # the first wait after a dropped connection


def test_http_errors_back_off_exponentially_until_a_connection_succeeds(
    fake: FakeX, conn: Connection, sleeps: Sleeps
) -> None:
    fake.add_rule("@AcmeHelp -is:retweet", "acme/mention")
    tweet = fake.add_tweet("mika_t", "@AcmeHelp hello")
    fake.fail(STREAM, 503, times=2)
    fake.script_stream([line(tweet["id"]), END])
    sink = ListSink()
    consumer = StreamConsumer(APP_TOKEN, conn, BRANDS, sink, clock=conn.clock, sleep=sleeps)

    report = consumer.run(max_attempts=3)

    assert sleeps == [5.0, 10.0]
    assert sink.ids == [tweet["id"]]
    assert (report.attempts, report.connections) == (3, 1)


def test_a_bad_line_is_rejected_with_its_reason_and_the_stream_goes_on(
    fake: FakeX, conn: Connection
) -> None:
    fake.add_rule("@AcmeHelp -is:retweet", "acme/mention")
    tweet = fake.add_tweet("mika_t", "@AcmeHelp hi")
    no_time = json.dumps({"data": {"id": "5", "author_id": "1002", "text": "@AcmeHelp x"}})
    fake.script_stream([raw("{not json"), raw(no_time), line(tweet["id"]), END])
    sink = ListSink()
    consumer = StreamConsumer(APP_TOKEN, conn, BRANDS, sink, clock=conn.clock, sleep=conn.sleep)

    consumer.run(max_attempts=1)

    assert sink.ids == [tweet["id"]]
    assert [reason for _, reason in sink.rejected] == [
        "stream line is not JSON",
        "PayloadError: tweet '5' lacks 'created_at'",
    ]


def test_a_sink_failure_stops_the_stream_with_that_error(fake: FakeX, conn: Connection) -> None:
    fake.add_rule("@AcmeHelp -is:retweet", "acme/mention")
    tweet = fake.add_tweet("mika_t", "@AcmeHelp hi")
    fake.script_stream([line(tweet["id"]), END], [line(tweet["id"]), END])
    consumer = StreamConsumer(
        APP_TOKEN, conn, BRANDS, ListSink(fail_on_call=1), clock=conn.clock, sleep=conn.sleep
    )

    with pytest.raises(RuntimeError, match="Kafka is down"):
        consumer.run(max_attempts=2)

    assert fake.calls[STREAM] == 1


def test_the_brands_own_reply_comes_back_on_the_live_stream_as_outbound(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    outbox = _outbox(fake, conn, tmp_path / "ledger.jsonl")
    customer = fake.add_tweet("mika_t", "@AcmeHelp 荷物が届きません")
    fake.script_stream([line(customer["id"])])  # then live: new matching tweets are delivered

    class ReplyingSink(ListSink):
        def publish(self, events: Sequence[TweetEvent]) -> None:
            super().publish(events)
            if events[0].direction == Direction.INBOUND:
                outbox.post(_reply("r-1", in_reply_to_tweet_id=events[0].tweet_id))
            else:
                consumer.stop()

    sink = ReplyingSink()
    consumer = StreamConsumer(APP_TOKEN, conn, BRANDS, sink, clock=conn.clock, sleep=conn.sleep)
    consumer.sync_rules(brand_rules(BRANDS))
    consumer.run(max_attempts=1)

    inbound, outbound = sink.events
    assert outbound.tweet_id == fake.posted[0]["id"]
    assert outbound.direction == Direction.OUTBOUND
    assert outbound.matched[0].kind == MatchKind.OWN
    assert outbound.in_reply_to_tweet_id == inbound.tweet_id
    assert outbound.case_key == inbound.case_key == f"acme:{fake.user('mika_t')['id']}"


# --- polling ------------------------------------------------------------------------------------


def test_polling_mentions_follows_pages_and_then_only_asks_for_new_ones(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    tweets = [fake.add_tweet("mika_t", f"@AcmeHelp 質問 {n}") for n in range(25)]
    sink = ListSink()
    poller = _poller(conn, tmp_path, sink, page_size=10)
    user_ids = resolve_user_ids(poller.api, ["AcmeHelp"])

    first = poller.mentions("AcmeHelp", user_ids["acmehelp"])
    quiet = poller.mentions("AcmeHelp", user_ids["acmehelp"])
    late = fake.add_tweet("mika_t", "@AcmeHelp まだですか")
    last = poller.mentions("AcmeHelp", user_ids["acmehelp"])

    assert (first.pages, first.published, quiet.published, last.published) == (3, 25, 0, 1)
    assert sorted(sink.ids) == sorted([t["id"] for t in tweets] + [late["id"]])
    assert len(set(sink.ids)) == len(sink.ids)
    assert fake.calls[MENTIONS] == 5
    assert {e.source for e in sink.events} == {Source.X_MENTIONS}
    assert {e.matched[0].kind for e in sink.events} == {MatchKind.MENTION}
    assert poller.cursors.get("mentions:acmehelp") == Cursor(since_id=late["id"])


def test_a_restart_with_the_cursor_file_neither_loses_nor_repeats(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    tweets = [fake.add_tweet("mika_t", f"@AcmeHelp 質問 {n}") for n in range(25)]
    user_id = fake.user("AcmeHelp")["id"]
    crashing = ListSink(fail_on_call=2)  # the second page cannot be published
    with pytest.raises(RuntimeError, match="Kafka is down"):
        _poller(conn, tmp_path, crashing, page_size=10).mentions("AcmeHelp", user_id)
    newer = [fake.add_tweet("mika_t", f"@AcmeHelp 追加 {n}") for n in range(2)]

    sink = ListSink()
    restarted = _poller(conn, tmp_path, sink, page_size=10)  # a new store reads the file
    restarted.mentions("AcmeHelp", user_id)
    restarted.mentions("AcmeHelp", user_id)

    assert len(crashing.ids) == 10
    everything = crashing.ids + sink.ids
    assert sorted(everything) == sorted(t["id"] for t in tweets + newer)
    assert len(set(everything)) == len(everything)


def test_a_page_limit_resumes_below_what_was_published(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    tweets = [fake.add_tweet("mika_t", f"@AcmeHelp 質問 {n}") for n in range(25)]
    sink = ListSink()
    poller = _poller(conn, tmp_path, sink, page_size=10, max_pages=1)
    user_id = fake.user("AcmeHelp")["id"]

    published = [poller.mentions("AcmeHelp", user_id).published for _ in range(4)]

    assert published == [10, 10, 5, 0]
    assert sorted(sink.ids) == sorted(t["id"] for t in tweets)
    assert not poller.cursors.get("mentions:acmehelp").unfinished


def test_a_429_waits_until_the_reset_then_succeeds(
    fake: FakeX, conn: Connection, clock: FakeClock, sleeps: Sleeps, tmp_path: Path
) -> None:
    tweet = fake.add_tweet("mika_t", "@AcmeHelp hello")
    fake.fail(MENTIONS, 429, reset_at=int(clock.now().timestamp()) + 30)
    sink = ListSink()

    _poller(conn, tmp_path, sink).mentions("AcmeHelp", fake.user("AcmeHelp")["id"])

    assert sink.ids == [tweet["id"]]
    assert sleeps == [31.0]  # until the reset, plus a second's margin
    assert conn.calls.rate_limit_waits[MENTIONS] == 1
    assert conn.calls.by_endpoint[MENTIONS] == fake.calls[MENTIONS] == 2


def test_a_429_past_the_allowed_waits_fails_with_rate_limited(
    fake: FakeX, conn: Connection, sleeps: Sleeps
) -> None:
    fake.fail(MENTIONS, 429, times=4)  # no reset header: the fallback wait

    with pytest.raises(XApiError) as caught:
        XApi(APP_TOKEN, conn).mentions(fake.user("AcmeHelp")["id"])

    assert caught.value.code == "rate_limited"
    assert sleeps == [60.0, 60.0, 60.0]
    assert fake.calls[MENTIONS] == 4


def test_the_brands_posted_reply_is_polled_back_as_outbound(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    customer = fake.add_tweet("mika_t", "@AcmeHelp 返品したい")
    result = _outbox(fake, conn, tmp_path / "ledger.jsonl").post(
        _reply("r-1", in_reply_to_tweet_id=customer["id"])
    )
    sink = ListSink()

    _poller(conn, tmp_path, sink).search(_rule(RuleKind.OWN))

    (own,) = sink.events
    assert own.tweet_id == result.posted_tweet_id
    assert own.direction == Direction.OUTBOUND
    assert own.source == Source.X_OWN
    assert own.in_reply_to_tweet_id == customer["id"]
    assert own.case_key == f"acme:{fake.user('mika_t')['id']}"


def test_keyword_search_pauses_when_the_read_budget_is_nearly_spent(
    fake: FakeX, conn: Connection, clock: FakeClock, tmp_path: Path
) -> None:
    fake.add_tweet("mika_t", "Acme の配達が遅い", lang="ja")
    cost = CostMeter(Prices(), Budget(Decimal("0.05")))
    sink = ListSink()
    poller = _poller(conn, tmp_path, sink, cost=cost)

    before = poller.search(_rule(RuleKind.KEYWORD))
    cost.record("GET /2/tweets/search/recent", Usage.POST_READ, 10, now=clock.now())
    after = poller.search(_rule(RuleKind.KEYWORD))
    own = poller.search(_rule(RuleKind.OWN))

    assert (before.published, before.paused) == (1, [])
    assert (after.published, after.paused) == (0, ["acme/keyword"])
    assert own.paused == []
    assert fake.calls["GET /2/tweets/search/recent"] == 2


def test_dms_are_channel_dm_and_the_brands_dm_comes_back_outbound(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    mika, acme = fake.user("mika_t"), fake.user("AcmeHelp")
    incoming = fake.add_dm("mika_t", "AcmeHelp", "注文番号は 123-456 です")
    sink = ListSink()
    poller = _poller(conn, tmp_path, sink)
    account = XApi(fake.token_of("AcmeHelp"), conn)
    brand_ids = {acme["id"]: "acmehelp"}

    poller.dms("AcmeHelp", account, brand_ids)
    _outbox(fake, conn, tmp_path / "ledger.jsonl").post(
        _reply("r-dm", channel=Channel.DM, dm_recipient_id=mika["id"])
    )
    poller.dms("AcmeHelp", account, brand_ids)

    first, second = sink.events
    assert first.tweet_id == incoming["id"]
    assert (first.channel, first.direction, first.source) == (
        Channel.DM, Direction.INBOUND, Source.X_DM,
    )  # fmt: skip
    assert first.dm_conversation_id == incoming["dm_conversation_id"]
    assert first.case_key == f"acme:{mika['id']}"
    assert (second.channel, second.direction) == (Channel.DM, Direction.OUTBOUND)
    assert second.tweet_id == fake.sent_dms[0]["id"]


# --- the outbox ---------------------------------------------------------------------------------


def test_a_public_reply_is_posted_once_per_reply_id_even_across_restarts(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    customer = fake.add_tweet("mika_t", "@AcmeHelp 助けて")
    reply = _reply("r-1", in_reply_to_tweet_id=customer["id"])
    outbox = _outbox(fake, conn, tmp_path / "ledger.jsonl")

    first = outbox.post(reply)
    second = outbox.post(reply)
    after_restart = _outbox(fake, conn, tmp_path / "ledger.jsonl").post(reply)

    assert first.status == "posted"
    assert first.posted_tweet_id == fake.posted[0]["id"]
    assert second == first
    assert after_restart.posted_tweet_id == first.posted_tweet_id
    assert after_restart.event_id == first.event_id
    assert fake.calls["POST /2/tweets"] == 1
    assert fake.posted[0]["referenced_tweets"] == [{"type": "replied_to", "id": customer["id"]}]


def test_a_dm_reply_goes_through_the_dm_endpoint_never_public(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    mika = fake.user("mika_t")
    reply = _reply("r-dm", channel=Channel.DM, dm_recipient_id=mika["id"], text="DMで失礼します")

    result = _outbox(fake, conn, tmp_path / "ledger.jsonl").post(reply)

    assert result.status == "posted"
    assert result.posted_tweet_id == fake.sent_dms[0]["id"]
    assert fake.sent_dms[0]["text"] == "DMで失礼します"
    assert fake.calls["POST /2/dm_conversations/with/:id/messages"] == 1
    assert fake.calls["POST /2/tweets"] == 0
    assert fake.posted == []


@pytest.mark.parametrize("went_through", [True, False])
def test_a_server_error_on_a_post_is_outcome_unknown_and_never_posted_again(
    fake: FakeX, conn: Connection, tmp_path: Path, went_through: bool
) -> None:
    customer = fake.add_tweet("mika_t", "@AcmeHelp 助けて")
    fake.fail("POST /2/tweets", 503, detail="Service Unavailable", after=went_through)
    outbox = _outbox(fake, conn, tmp_path / "ledger.jsonl")

    result = outbox.post(_reply("r-1", in_reply_to_tweet_id=customer["id"]))
    again = outbox.post(_reply("r-1", in_reply_to_tweet_id=customer["id"]))
    after_restart = _outbox(fake, conn, tmp_path / "ledger.jsonl").post(
        _reply("r-1", in_reply_to_tweet_id=customer["id"])
    )

    assert (result.status, result.error_code) == ("failed", "outcome_unknown")
    assert result.error == (
        "HTTP 503: Service Unavailable (the post may have gone through: check X first)"
    )
    assert result.posted_tweet_id is None
    assert again == result
    assert after_restart == result
    assert fake.calls["POST /2/tweets"] == 1
    assert len(fake.posted) == (1 if went_through else 0)


def test_a_client_error_on_a_post_is_a_definite_failure_with_the_reason(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    deleted = "1860000000000000001"  # X has no such tweet: 403, nothing posted

    result = _outbox(fake, conn, tmp_path / "ledger.jsonl").post(
        _reply("r-1", in_reply_to_tweet_id=deleted)
    )

    assert (result.status, result.error_code) == ("failed", "x_http_403")
    assert result.error is not None
    assert result.error.startswith("HTTP 403: You attempted to reply to a Tweet")
    assert fake.posted == []


def test_a_reply_left_attempting_is_reported_unknown_and_never_posted_again(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "ledger.jsonl"
    customer = fake.add_tweet("mika_t", "@AcmeHelp 助けて")
    reply = _reply("r-1", in_reply_to_tweet_id=customer["id"])
    entry = LedgerEntry("r-1", "case-1", "acme:1002", "attempting", "2026-11-22T06:00:00.000Z")
    ReplyLedger(path).append(entry)
    with path.open("a") as ledger:
        ledger.write('{"reply_id": "r-2", "sta')  # a write the crash cut short

    outbox = _outbox(fake, conn, path)
    recovered = outbox.recover()
    posted = outbox.post(reply)

    assert [(r.reply_id, r.status, r.error_code) for r in recovered] == [
        ("r-1", "failed", "outcome_unknown")
    ]
    assert posted == recovered[0]
    assert fake.calls["POST /2/tweets"] == 0


def test_each_reply_is_posted_by_the_handle_it_names_with_that_handles_token(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    apis = {h: XApi(fake.token_of(h), conn) for h in ("AcmeHelp", "acme_jp")}
    outbox = Outbox(apis, ReplyLedger(tmp_path / "ledger.jsonl"), clock=conn.clock)
    customer = fake.add_tweet("mika_t", "@AcmeHelp 助けて")

    from_jp = outbox.post(_reply("r-1", handle="ACME_JP", in_reply_to_tweet_id=customer["id"]))
    from_en = outbox.post(_reply("r-2", in_reply_to_tweet_id=customer["id"]))

    assert (from_jp.status, from_en.status) == ("posted", "posted")
    authors = {t["id"]: t["author_id"] for t in fake.posted}
    assert authors == {
        from_jp.posted_tweet_id: fake.user("acme_jp")["id"],
        from_en.posted_tweet_id: fake.user("AcmeHelp")["id"],
    }
    assert outbox.brand_user_id("acme_jp") == fake.user("acme_jp")["id"]


def test_a_handle_without_a_user_token_fails_with_no_credentials(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    reply = _reply("r-1", handle="acme_jp", in_reply_to_tweet_id="1")

    result = _outbox(fake, conn, tmp_path / "ledger.jsonl").post(reply)

    assert (result.status, result.error_code) == ("failed", "no_credentials")
    assert fake.calls["POST /2/tweets"] == 0


def test_the_outbox_knows_each_brand_accounts_user_id(
    fake: FakeX, conn: Connection, tmp_path: Path
) -> None:
    outbox = _outbox(fake, conn, tmp_path / "ledger.jsonl")

    ids = [outbox.brand_user_id("@AcmeHelp"), outbox.brand_user_id("acmehelp")]

    assert ids == [fake.user("AcmeHelp")["id"]] * 2
    assert fake.calls["GET /2/users/me"] == 1
    with pytest.raises(XApiError, match="no_credentials"):
        outbox.brand_user_id("acme_jp")


# --- the base URL -------------------------------------------------------------------------------


class _Recorder(requests.adapters.BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.urls.append(str(request.url))
        response = requests.Response()
        response.status_code, response._content = 200, b'{"data": {"id": "1"}}'
        return response

    def close(self) -> None:
        pass


def test_production_requests_go_to_api_x_com(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWEETCARE_X_API_BASE_URL", raising=False)
    settings = XApiSettings()
    session = XSession(settings.connection(ApiCalls(), clock=clock, sleep=print))
    recorder = _Recorder()
    session.mount("https://", recorder)

    session.request("GET", "https://api.twitter.com/2/users/me")

    assert settings.x_api_base_url == "https://api.x.com"
    assert recorder.urls == ["https://api.x.com/2/users/me"]
    assert session.connection.calls.by_endpoint == {"GET /2/users/me": 1}


def test_settings_read_tokens_keywords_and_the_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "app-secret")
    monkeypatch.setenv("TWEETCARE_X_USER_TOKENS", '{"AcmeHelp": "user-secret"}')
    monkeypatch.setenv(
        "TWEETCARE_X_KEYWORDS", '[{"brand": "acme", "terms": ["Acme"], "lang": "ja"}]'
    )
    monkeypatch.setenv("TWEETCARE_X_API_BASE_URL", "http://127.0.0.1:8089")

    settings = XApiSettings()

    assert settings.x_bearer_token is not None
    assert settings.x_bearer_token.get_secret_value() == "app-secret"
    assert settings.x_user_tokens["AcmeHelp"].get_secret_value() == "user-secret"
    assert settings.x_keywords == [KeywordConfig("acme", ("Acme",), lang="ja")]
    assert settings.x_api_base_url == "http://127.0.0.1:8089"
