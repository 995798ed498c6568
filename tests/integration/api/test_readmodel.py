"""The read model against the real Kafka and Elasticsearch: case events and triaged tweets go
through throwaway topics into throwaway indices, then queues, cases, search (English and
Japanese), CSV export and statistics are checked against answers worked out by hand; an older
case version arriving late and repeated events change nothing; a rebuild from the topics gives
the same answers; and an indexer whose Elasticsearch goes away and comes back loses and doubles
nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from elasticsearch import AsyncElasticsearch, Elasticsearch
from kafka import KafkaAdminClient
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from services.api.cases.service import get_case
from services.api.errors import CaseNotFoundError, InvalidCursorError, InvalidSearchError
from services.api.metrics import ApiMetrics
from services.api.queues.service import QueueFilters, queue_cases, queue_summaries
from services.api.readmodel.indexer import Indexer, IndexerConfig, IndexerStats
from services.api.readmodel.indices import KINDS, index_name
from services.api.readmodel.rebuild import reindex, topic_offsets, wait_caught_up
from services.api.search.export import export_csv
from services.api.search.service import SearchRequest, search
from services.api.stats.service import (
    BacklogPoint,
    CaseStats,
    SlaAlertRow,
    StatsWindow,
    backlog,
    case_stats,
    sla_alerts,
    volume,
)
from services.localinfra.settings import InfraSettings
from services.plumbing.contracts.cases import (
    Case,
    CaseEvent,
    CaseState,
    ChangeKind,
    ClockName,
    ClockStatus,
    ThreadEntry,
)
from services.plumbing.contracts.codecs import CASES_EVENTS, DEAD_LETTERS, TWEETS_TRIAGED
from services.plumbing.contracts.common import Direction, Priority
from services.plumbing.contracts.deadletter import DeadLetterReason
from services.plumbing.contracts.tweets import Author, Sentiment, Topic, TriagedTweet
from services.plumbing.metrics import new_registry
from services.plumbing.publisher import EventPublisher, make_producer
from services.plumbing.settings import KafkaSettings
from tests.factories.readmodel import (
    AGENT,
    T0,
    at,
    case,
    case_event,
    clock,
    inbound,
    outbound,
    triaged_tweet,
)
from tests.integration.topics import read_all
from tests.integration.workers import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

T = TypeVar("T")
NOW = at(20)
KEY = b"k" * 32  # signs the cursors
FR, RES = ClockName.FIRST_RESPONSE, ClockName.RESOLUTION
RUNNING, MET, PAUSED = ClockStatus.RUNNING, ClockStatus.MET, ClockStatus.PAUSED
BREACHED, STOPPED = ClockStatus.BREACHED, ClockStatus.STOPPED
BRAND = Author(id="9000", handle="acme_jp", followers=50_000)
BULK_ROWS = 1_500


def customer(n: int, handle: str | None = None, name: str | None = None) -> Author:
    return Author(id=f"50{n}", handle=handle or f"cust_{n}", name=name, followers=n * 10)


# --- the world: cases of two queues at NOW (T0 + 20 min), worked out by hand ------------------


def opened(case_id: str, n: int, minutes: float, **fields: Any) -> Case:
    """Case ``case_id`` of customer ``n``, opened ``minutes`` after T0."""
    return case(case_id, customer=customer(n), opened_at=at(minutes), **fields)


def world_cases() -> tuple[list[CaseEvent], list[CaseEvent]]:
    """(events sent first, events sent after the first indexing: late and repeated ones)."""
    a_open = opened("A", 1, 0, clocks=[clock(FR, due=at(15)), clock(RES, due=at(1440))])
    a_breach = a_open.model_copy(
        update={
            "clocks": [clock(FR, BREACHED, breached_at=at(15)), clock(RES, due=at(1440))],
            "updated_at": at(15),
        }
    )
    e = opened("E", 2, 1, priority=Priority.P4, clocks=[clock(FR, due=at(10))])
    d = opened("D", 3, 2, priority=Priority.P1, clocks=[clock(FR, due=at(30))])
    c = opened("C", 4, 4, priority=Priority.P1, clocks=[clock(FR, due=at(30))])
    b1 = opened("B", 5, 3, clocks=[clock(FR, due=at(30))])
    b2 = b1.model_copy(update={"priority": Priority.P1, "updated_at": at(8)})
    b3 = b1.model_copy(update={"priority": Priority.P2, "updated_at": at(9)})
    h1 = opened(
        "H", 6, 5, priority=Priority.P2, opening_tweet_id="tH1",
        clocks=[clock(FR, due=at(35)), clock(RES, due=at(50))],
    )  # fmt: skip
    note = ThreadEntry(kind="note", id="n-1", at=at(5.5), direction="internal")
    h2 = h1.model_copy(
        update={
            "thread": [*h1.thread, note, outbound("tH2", at(6))],
            "first_response_at": at(6),
            "last_response_at": at(6),
            "updated_at": at(6),
            "clocks": [clock(FR, MET, met_at=at(6)), clock(RES, due=at(50))],
        }
    )
    h3 = h2.model_copy(update={"assignee": AGENT, "state": CaseState.ASSIGNED, "updated_at": at(7)})
    h4 = h3.model_copy(
        update={
            "thread": [*h3.thread, inbound("tH3", at(8))],
            "updated_at": at(10),
            "clocks": [clock(FR, MET, met_at=at(6)), clock(RES, due=at(50), warned=True)],
        }
    )
    g = opened(
        "G", 7, 6, state=CaseState.WAITING_ON_CUSTOMER, first_response_at=at(8),
        clocks=[clock(FR, MET, met_at=at(8)), clock(RES, PAUSED)],
    )  # fmt: skip
    f = opened(
        "F", 8, -120, state=CaseState.RESOLVED, first_response_at=at(-110),
        resolved_at=at(-60), clocks=[clock(FR, MET, met_at=at(-110)), clock(RES, STOPPED)],
    )  # fmt: skip
    j = case(
        "J", customer=customer(9, "Haruka_M", "はるか"), opened_at=at(7), queue="jp-care",
        priority=Priority.P2, lang="ja", assignee=AGENT, state=CaseState.ASSIGNED,
        clocks=[clock(FR, due=at(67))],
    )  # fmt: skip
    closed = {"queue": "jp-care", "clocks": [clock(FR, STOPPED)]}
    k = opened("K", 10, 8, state=CaseState.SPAM, resolved_at=at(9), **closed)
    l_ = opened("L", 11, 9, state=CaseState.CLOSED_NO_REPLY, resolved_at=at(10), **closed)
    claimed = case_event(h3, 3, ChangeKind.CLAIMED, event_id="ev-H-claimed")
    first = [
        case_event(a_open, 1),
        case_event(a_breach, 2, ChangeKind.SLA_BREACH, clock_name=FR),
        case_event(e, 1),
        case_event(d, 1),
        case_event(c, 1),
        case_event(b1, 1),
        case_event(b3, 3, ChangeKind.PRIORITY_CHANGED),
        case_event(h1, 1),
        case_event(h2, 2, ChangeKind.RESPONDED),
        claimed,
        claimed,
        case_event(h4, 4, ChangeKind.SLA_WARNING, clock_name=RES),
        case_event(h4, 4, ChangeKind.ACTION_REJECTED, occurred_at=at(11)),
        case_event(g, 1),
        case_event(f, 1),
        case_event(j, 1),
        case_event(k, 1),
        case_event(l_, 1),
    ]
    late = [case_event(b2, 2, ChangeKind.PRIORITY_CHANGED), claimed]
    return first, late


def world_tweets() -> list[TriagedTweet]:
    def t(tweet_id: str, n: int, text: str, minutes: float, **fields: Any) -> TriagedTweet:
        return triaged_tweet(tweet_id, text, author=customer(n), created_at=at(minutes), **fields)

    return [
        t("t-A", 1, "@acme_jp my parcel is three days late and nobody answers", 0),
        t("t-E", 2, "@acme_jp refund still missing for my order", 1, topic=Topic.RETURNS_REFUNDS),
        t("t-D", 3, "@acme_jp the app crashes at login", 2, topic=Topic.TECHNICAL),
        t("t-B", 5, "@acme_jp where is my package", 3),
        t("t-C", 4, "@acme_jp charged twice this month", 4, topic=Topic.BILLING),
        t("tH1", 6, "@acme_jp my tracking page shows nothing", 5),
        triaged_tweet(
            "tH2",
            "@cust_6 we are looking into it",
            author=BRAND,
            direction=Direction.OUTBOUND,
            created_at=at(6),
        ),
        t(
            "t-G",
            7,
            "@acme_jp thanks, I will check",
            6,
            topic=Topic.PRAISE,
            sentiment=Sentiment.POSITIVE,
        ),
        t("t-F", 8, "@acme_jp wrong size delivered", -120, topic=Topic.RETURNS_REFUNDS),
        triaged_tweet(
            "t-J",
            "@acme_jp 注文した荷物の配達が遅れています。いつ届きますか",
            author=customer(9, "Haruka_M", "はるか"),
            created_at=at(7),
            lang="ja",
            queue="jp-care",
        ),
        t("t-K", 10, "cheap followers here", 8, topic=Topic.OTHER, spam=True),
        t(
            "t-L",
            11,
            "@acme_jp love the new store",
            9,
            topic=Topic.PRAISE,
            sentiment=Sentiment.POSITIVE,
        ),
    ]


def bulk_tweets() -> list[TriagedTweet]:
    return [
        triaged_tweet(
            f"bulk-{i:05d}",
            '=HYPERLINK("http://bad.example")' if i == 7 else f"filler number {i}, with a comma",
            brand="bulk",
            author=Author(
                id=f"8{i}",
                handle=f"filler_{i}",
                followers=i,
                location="Kyoto, Japan" if i % 2 else None,
            ),
            created_at=T0 + timedelta(seconds=i),
        )
        for i in range(BULK_ROWS)
    ]


# --- running things -----------------------------------------------------------------------------


@dataclass
class World:
    es_url: str
    config: IndexerConfig
    stats: IndexerStats
    registry: CollectorRegistry  # of the indexer's metrics


def on_es(es_url: str, fn: Callable[[AsyncElasticsearch], Awaitable[T]]) -> T:
    async def main() -> T:
        async with AsyncElasticsearch(es_url, request_timeout=30) as client:
            return await fn(client)

    return asyncio.run(main())


async def produce(
    bootstrap: str,
    config: IndexerConfig,
    tweets: list[TriagedTweet],
    events: list[CaseEvent],
    garbage: bool = False,
) -> None:
    producer = make_producer(KafkaSettings(kafka_bootstrap=bootstrap), client_id="test-readmodel")
    await producer.start()
    try:
        await EventPublisher(
            producer, TWEETS_TRIAGED, lambda e: e.tweet.case_key, topic=config.tweets_topic
        ).publish_many(tweets)
        await EventPublisher(
            producer, CASES_EVENTS, lambda e: e.case.case_key, topic=config.cases_topic
        ).publish_many(events)
        if garbage:
            await producer.send_and_wait(config.tweets_topic, b"not json", key=b"acme:1")
            await producer.send_and_wait(config.cases_topic, b'{"event_id": "x"}', key=b"acme:1")
    finally:
        await producer.stop()


async def index_until_caught_up(
    es: AsyncElasticsearch,
    config: IndexerConfig,
    stats: IndexerStats | None = None,
    metrics: ApiMetrics | None = None,
) -> IndexerStats:
    offsets = await topic_offsets(config.bootstrap, [config.tweets_topic, config.cases_topic])
    indexer = Indexer(es, config, stats=stats, metrics=metrics)
    stop = asyncio.Event()
    task = asyncio.create_task(indexer.run(stop))
    try:
        await wait_caught_up(indexer, offsets, task=task, timeout=30)
    finally:
        stop.set()
        await task
    await es.indices.refresh(index=",".join(index_name(config.prefix, k) for k in KINDS))
    return indexer.stats


def make_topics(bootstrap: str, *names: str) -> tuple[list[str], Callable[[], None]]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    suffix = uuid.uuid4().hex[:8]
    topics = [f"test.{name}.{suffix}" for name in names]
    admin.create_topics(
        {t: {"num_partitions": 4, "replication_factor": 1} for t in topics}, wait_for_metadata=True
    )

    def delete() -> None:
        admin.delete_topics(topics)
        admin.close()

    return topics, delete


def drop_read_model(es: Elasticsearch, prefix: str) -> None:
    # Every index of the prefix: the read model's names are aliases of numbered indices
    # (prefix-tweets-000001…), and the own-document stores make theirs on first use.
    es.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
    for kind in KINDS:
        es.options(ignore_status=404).indices.delete_index_template(name=index_name(prefix, kind))


def config_for(bootstrap: str, topics: list[str], prefix: str, **extra: Any) -> IndexerConfig:
    tweets, cases, tweets_dlq, cases_dlq = topics
    return IndexerConfig(
        bootstrap=bootstrap,
        prefix=prefix,
        group_id=f"test-readmodel-{prefix}",
        tweets_topic=tweets,
        cases_topic=cases,
        tweets_dlq=tweets_dlq,
        cases_dlq=cases_dlq,
        poll_ms=50,
        backoff_s=0.05,
        backoff_max_s=0.3,
        **extra,
    )


@pytest.fixture(scope="module")
def world(kafka_bootstrap: str, es: Elasticsearch, infra: InfraSettings) -> Iterator[World]:
    topics, delete_topics = make_topics(
        kafka_bootstrap, "tweets", "cases", "tweets-dlq", "cases-dlq"
    )
    prefix = f"rmtest-{uuid.uuid4().hex[:8]}"
    config = config_for(kafka_bootstrap, topics, prefix)
    first, late = world_cases()
    registry = new_registry()
    metrics = ApiMetrics(registry)

    async def build(client: AsyncElasticsearch) -> IndexerStats:
        tweets = world_tweets()
        await produce(kafka_bootstrap, config, [*tweets, tweets[0], *bulk_tweets()], first, True)
        stats = await index_until_caught_up(client, config, metrics=metrics)
        await produce(kafka_bootstrap, config, [], late)  # a second run of the same group
        return await index_until_caught_up(client, config, stats, metrics)

    try:
        yield World(infra.es_url, config, on_es(infra.es_url, build), registry)
    finally:
        drop_read_model(es, prefix)
        delete_topics()


def ids(page: Any) -> list[str]:
    return [item.case.case_id for item in page.items]


# --- the indexer ------------------------------------------------------------------------------


def test_undecodable_records_go_to_the_dead_letter_topics_and_are_counted(world: World) -> None:
    config = world.config
    assert world.stats.dlq == 2
    assert config.tweets_dlq
    assert config.cases_dlq
    tweets_dlq = [
        DEAD_LETTERS.decode(m.value) for m in read_all(config.bootstrap, config.tweets_dlq, 1500)
    ]
    cases_dlq = [
        DEAD_LETTERS.decode(m.value) for m in read_all(config.bootstrap, config.cases_dlq, 500)
    ]
    assert [(d.source_topic, d.reason_code, d.payload) for d in tweets_dlq] == [
        (config.tweets_topic, DeadLetterReason.UNDECODABLE, "not json")
    ]
    assert [(d.source_topic, d.reason_code) for d in cases_dlq] == [
        (config.cases_topic, DeadLetterReason.SCHEMA_VIOLATION)
    ]
    assert (
        world.registry.get_sample_value(
            "tweetcare_dead_letters_total",
            {"topic": config.cases_topic, "reason": "schema_violation"},
        )
        == 1
    )


def test_the_indexer_reports_documents_by_kind(world: World) -> None:
    written = {
        k: world.registry.get_sample_value("tweetcare_api_indexed_documents", {"kind": k})
        for k in KINDS
    }
    # tweets: 12 + a repeat + the bulk ones; cases: 20 events less 4 refused as not newer;
    # case events: every one of the 20, the repeats written over themselves.
    assert written == {"tweets": 13 + BULK_ROWS, "cases": 16, "case-events": 20}
    assert world.stats.indexed_by_kind == written


def test_an_older_case_version_arriving_late_does_not_overwrite_the_newer(world: World) -> None:
    detail = on_es(world.es_url, lambda c: get_case(c, world.config.prefix, "B", NOW))
    assert (detail.case.case_version, detail.case.case.priority) == (3, Priority.P2)
    assert [(e["case_version"], e["kind"]) for e in detail.events] == [
        (1, "opened"),
        (2, "priority_changed"),
        (3, "priority_changed"),
    ]
    # B's late v2, H's two repeats of v3 and the rejected action repeating v4 were refused.
    assert world.stats.conflicts == 4


def test_a_case_with_its_thread_tweets_and_history_in_order(world: World) -> None:
    detail = on_es(world.es_url, lambda c: get_case(c, world.config.prefix, "H", NOW))
    assert detail.case.case_version == 4
    assert detail.case.warned is True
    assert detail.case.seconds_left == 30 * 60
    assert [t["tweet_id"] for t in detail.tweets] == ["tH1", "tH2"]
    assert [t["direction"] for t in detail.tweets] == ["inbound", "outbound"]
    assert detail.missing_tweet_ids == ["tH3"]
    # The claim was sent three times and is stored once.
    assert [(e["case_version"], e["kind"]) for e in detail.events] == [
        (1, "opened"),
        (2, "responded"),
        (3, "claimed"),
        (4, "sla_warning"),
        (4, "action_rejected"),
    ]
    with pytest.raises(CaseNotFoundError):
        on_es(world.es_url, lambda c: get_case(c, world.config.prefix, "nope", NOW))


def test_a_repeated_tweet_is_stored_once(world: World) -> None:
    page = on_es(
        world.es_url,
        lambda c: search(c, world.config.prefix, SearchRequest(brand=["acme"]), key=KEY),
    )
    assert page.total == len(world_tweets())
    assert [h["tweet_id"] for h in page.hits].count("t-A") == 1


# --- queues -----------------------------------------------------------------------------------


def test_queue_summaries_count_at_now(world: World) -> None:
    summaries = on_es(world.es_url, lambda c: queue_summaries(c, world.config.prefix, NOW))
    got = [
        (
            s.queue,
            s.open,
            s.unassigned,
            s.warned,
            s.breached,
            s.oldest_waiting and (s.oldest_waiting.case_id, s.oldest_waiting.waiting_seconds),
        )
        for s in summaries
    ]
    # care: A breached, E overdue since minute 10, H warned; G waits on the customer.
    assert got == [("care", 7, 6, 1, 2, ("A", 1200.0)), ("jp-care", 1, 0, 0, 0, ("J", 780.0))]
    earlier = on_es(world.es_url, lambda c: queue_summaries(c, world.config.prefix, at(9)))
    assert [(s.queue, s.breached) for s in earlier] == [("care", 1), ("jp-care", 0)]


def test_queue_cases_in_working_order_page_by_page(world: World) -> None:
    prefix, everything = world.config.prefix, QueueFilters()

    async def pages(client: AsyncElasticsearch) -> list[list[str]]:
        out, cursor = [], None
        while True:
            page = await queue_cases(client, prefix, "care", everything, cursor, 3, NOW, key=KEY)
            out.append(ids(page))
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor

    # breached; then time left (E is overdue); then priority (C before B); then age (D before C)
    assert on_es(world.es_url, pages) == [["A", "E", "D"], ["C", "B", "H"], ["G"]]
    first = on_es(
        world.es_url, lambda c: queue_cases(c, prefix, "care", everything, None, 2, NOW, key=KEY)
    )
    assert first.items[1].seconds_left == -600.0
    assert first.items[0].age_seconds == 1200.0


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (QueueFilters(unassigned=True), ["A", "E", "D", "C", "B", "G"]),
        (QueueFilters(assignee="agent-a"), ["H"]),
        (QueueFilters(priority=[Priority.P1]), ["D", "C"]),
        (QueueFilters(state=[CaseState.RESOLVED]), ["F"]),
        (QueueFilters(warned=True), ["H"]),
    ],
)
def test_queue_cases_filtered(world: World, filters: QueueFilters, expected: list[str]) -> None:
    page = on_es(
        world.es_url,
        lambda c: queue_cases(c, world.config.prefix, "care", filters, None, 50, NOW, key=KEY),
    )
    assert ids(page) == expected


def test_a_cursor_is_refused_outside_its_queue_or_when_it_is_not_one(world: World) -> None:
    prefix = world.config.prefix
    page = on_es(
        world.es_url,
        lambda c: queue_cases(c, prefix, "care", QueueFilters(), None, 1, NOW, key=KEY),
    )
    assert page.next_cursor is not None
    for queue, cursor in (("jp-care", page.next_cursor), ("care", "bm90IGEgY3Vyc29y")):
        with pytest.raises(InvalidCursorError):
            on_es(
                world.es_url,
                lambda c, q=queue, k=cursor: queue_cases(
                    c, prefix, q, QueueFilters(), k, 1, NOW, key=KEY
                ),
            )


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (SearchRequest(text="parcel late"), ["t-A"]),
        (SearchRequest(text="PARCEL nobody"), ["t-A"]),
        (SearchRequest(text="配達"), ["t-J"]),
        (SearchRequest(text="荷物 いつ"), ["t-J"]),
        (SearchRequest(text="配達 parcel"), []),
        (SearchRequest(lang=["ja"]), ["t-J"]),
        (SearchRequest(author=["haruka_m"]), ["t-J"]),
        (SearchRequest(brand=["acme"], topic=[Topic.PRAISE], sort="oldest"), ["t-G", "t-L"]),
        (SearchRequest(brand=["acme"], direction=Direction.OUTBOUND), ["tH2"]),
        (SearchRequest(brand=["acme"], since=at(8), until=at(9)), ["t-K"]),
        (SearchRequest(target="cases", state=[CaseState.SPAM]), ["K"]),
        (SearchRequest(target="cases", text="はるか"), ["J"]),
    ],
)
def test_search_in_english_and_japanese_with_filters(
    world: World, request_: SearchRequest, expected: list[str]
) -> None:
    page = on_es(world.es_url, lambda c: search(c, world.config.prefix, request_, key=KEY))
    assert [h.get("tweet_id", h.get("case_id")) for h in page.hits] == expected
    assert page.total == len(expected)


def test_search_facets_and_cursor_pages(world: World) -> None:
    prefix = world.config.prefix
    request = SearchRequest(brand=["acme"], direction=Direction.INBOUND, sort="oldest", size=4)

    async def all_pages(client: AsyncElasticsearch) -> tuple[list[str], Any]:
        got, page = [], await search(client, prefix, request, key=KEY)
        first = page
        while True:
            got += [h["tweet_id"] for h in page.hits]
            if page.next_cursor is None:
                return got, first
            page = await search(
                client, prefix, request.model_copy(update={"cursor": page.next_cursor}), key=KEY
            )

    got, first = on_es(world.es_url, all_pages)
    inbound_tweets = sorted(
        (t for t in world_tweets() if t.tweet.direction == Direction.INBOUND),
        key=lambda t: (t.tweet.created_at, t.tweet.tweet_id),
    )
    assert got == [t.tweet.tweet_id for t in inbound_tweets]
    assert first.total == 11
    assert {b.value: b.count for b in first.facets["topic"]} == {
        "delivery": 4,
        "returns_refunds": 2,
        "praise": 2,
        "technical": 1,
        "billing": 1,
        "other": 1,
    }
    assert {b.value: b.count for b in first.facets["lang"]} == {"en": 10, "ja": 1}


def test_search_refuses_filters_its_target_lacks(world: World) -> None:
    for request in (
        SearchRequest(state=[CaseState.NEW]),
        SearchRequest(target="cases", complaint=True),
        SearchRequest(facets=["state"]),
    ):
        with pytest.raises(InvalidSearchError):
            on_es(world.es_url, lambda c, r=request: search(c, world.config.prefix, r, key=KEY))


# --- export -----------------------------------------------------------------------------------


def test_export_streams_every_matching_row_as_csv(world: World) -> None:
    request = SearchRequest(brand=["bulk"], sort="oldest")

    async def collect(client: AsyncElasticsearch) -> list[bytes]:
        return [c async for c in export_csv(client, world.config.prefix, request, page_size=400)]

    chunks = on_es(world.es_url, collect)
    assert len(chunks) == 4  # one per page: streamed, not built whole
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert len(rows) == BULK_ROWS
    assert [r["tweet_id"] for r in rows] == [f"bulk-{i:05d}" for i in range(BULK_ROWS)]
    assert all(r["author_followers"] == str(i) for i, r in enumerate(rows))
    assert rows[3]["author_location"] == "Kyoto, Japan"
    assert rows[4]["author_location"] == ""
    assert rows[4]["text"] == "filler number 4, with a comma"
    assert rows[7]["text"] == '\'=HYPERLINK("http://bad.example")'
    assert rows[0]["author_handle"] == "filler_0"


def test_export_of_cases_has_customer_profile_and_sla_columns(world: World) -> None:
    request = SearchRequest(target="cases", queue=["jp-care"], sort="oldest")

    async def collect(client: AsyncElasticsearch) -> bytes:
        return b"".join([c async for c in export_csv(client, world.config.prefix, request)])

    rows = list(csv.DictReader(io.StringIO(on_es(world.es_url, collect).decode())))
    assert [
        (r["case_id"], r["state"], r["customer_handle"], r["customer_name"],
         r["customer_followers"], r["assignee_id"], r["first_response_sla"])
        for r in rows
    ] == [
        ("J", "assigned", "Haruka_M", "はるか", "90", "agent-a", "pending"),
        ("K", "spam", "cust_10", "", "100", "", "stopped"),
        ("L", "closed_no_reply", "cust_11", "", "110", "", "stopped"),
    ]  # fmt: skip


class _FakePagedEs:
    """Just enough of AsyncElasticsearch for export: ``rows`` tweet documents, paged."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.closed = False

    async def open_point_in_time(self, **_: Any) -> dict[str, str]:
        return {"id": "pit"}

    async def close_point_in_time(self, **_: Any) -> None:
        self.closed = True

    async def search(self, *, size: int, search_after: list[int] | None, **_: Any) -> Any:
        start = search_after[0] + 1 if search_after else 0
        hits = [
            {
                "_source": {"tweet_id": f"{i:09d}", "text": "x" * 140, "author": {"followers": i}},
                "sort": [i],
            }
            for i in range(start, min(start + size, self.rows))
        ]
        return {"pit_id": "pit", "hits": {"hits": hits}}


def test_export_memory_stays_flat_as_rows_grow() -> None:
    def peak(rows: int) -> int:
        fake = _FakePagedEs(rows)

        async def drain() -> int:
            size = 0
            chunks: AsyncIterator[bytes] = export_csv(fake, "x", SearchRequest(), page_size=1000)
            async for chunk in chunks:
                size += len(chunk)
            return size

        tracemalloc.start()
        size = asyncio.run(drain())
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert fake.closed
        assert size > rows * 180
        return top

    small, large = peak(5_000), peak(50_000)
    # Ten times the rows (9 MB of CSV), about the same memory: a page at a time, never all.
    assert large < small * 1.3
    assert large < 50_000 * 180 / 3


# --- statistics -------------------------------------------------------------------------------


def test_a_statistics_window_names_a_real_time_zone() -> None:
    assert StatsWindow(since=T0, until=at(60), time_zone="Asia/Tokyo").time_zone == "Asia/Tokyo"
    with pytest.raises(ValidationError):
        StatsWindow(since=T0, until=at(60), time_zone="Mars/Olympus_Mons")


def test_case_statistics_equal_hand_computed_ones(world: World) -> None:
    window = StatsWindow(since=at(-1440), until=at(1440))
    got = on_es(world.es_url, lambda c: case_stats(c, world.config.prefix, window))
    # care: A E D C B H G F; replied H (60 s), G (120 s), F (600 s); first response met by
    # H G F, breached by A; resolved F. jp-care: J and L (K is spam; L needed no reply).
    assert got == [
        CaseStats(
            group="care",
            period=None,
            cases=8,
            needs_reply=8,
            replied=3,
            resolved=1,
            first_response_p50=120.0,
            first_response_p90=504.0,
            sla_met=3,
            sla_breached=1,
            sla_attainment=0.75,
            support_rate=0.375,
            resolution_rate=0.125,
        ),
        CaseStats(
            group="jp-care",
            period=None,
            cases=2,
            needs_reply=1,
            replied=0,
            resolved=0,
            first_response_p50=None,
            first_response_p90=None,
            sla_met=0,
            sla_breached=0,
            sla_attainment=None,
            support_rate=0.0,
            resolution_rate=0.0,
        ),
    ]
    daily = StatsWindow(since=at(-1440), until=at(1440), interval="day")
    by_day = on_es(world.es_url, lambda c: case_stats(c, world.config.prefix, daily, None))
    assert [(s.period and s.period.date().isoformat(), s.cases, s.replied) for s in by_day] == [
        ("2026-11-22", 1, 1),
        ("2026-11-23", 9, 2),
    ]


def test_backlog_volume_and_sla_alerts_equal_hand_computed_ones(world: World) -> None:
    prefix = world.config.prefix
    window = StatsWindow(since=at(-90), until=at(1440))  # F (opened at -120) is open at the start
    points = on_es(world.es_url, lambda c: backlog(c, prefix, window))
    day = T0.replace(hour=0)
    assert points == [
        BacklogPoint(period=day - timedelta(days=1), opened=0, closed=0, open_at_end=1),
        BacklogPoint(period=day, opened=10, closed=3, open_at_end=8),  # closed: F, K, L
        BacklogPoint(period=day + timedelta(days=1), opened=0, closed=0, open_at_end=8),
    ]
    wide = StatsWindow(since=at(-1440), until=at(1440), brand=["acme"])
    topics = on_es(world.es_url, lambda c: volume(c, prefix, wide, "topic"))
    assert {(r.key, r.count) for r in topics} == {
        ("delivery", 4),
        ("returns_refunds", 2),
        ("praise", 2),
        ("technical", 1),
        ("billing", 1),
        ("other", 1),
    }
    langs = on_es(world.es_url, lambda c: volume(c, prefix, wide, "lang", direction=None))
    assert {(r.key, r.count) for r in langs} == {("en", 11), ("ja", 1)}
    alerts = on_es(world.es_url, lambda c: sla_alerts(c, prefix, wide))
    assert sorted(alerts, key=lambda r: r.clock) == [
        SlaAlertRow(group="care", period=None, clock="first_response", warnings=0, breaches=1),
        SlaAlertRow(group="care", period=None, clock="resolution", warnings=1, breaches=0),
    ]


# --- rebuild (kept last: it rebuilds the module's indices) ----------------------------------------


def test_zz_reindex_from_the_topics_gives_the_same_answers(world: World, es: Elasticsearch) -> None:
    prefix = world.config.prefix

    async def answers(client: AsyncElasticsearch) -> Any:
        return (
            await queue_summaries(client, prefix, NOW),
            [
                ids(await queue_cases(client, prefix, q, QueueFilters(), None, 50, NOW, key=KEY))
                for q in ("care", "jp-care")
            ],
            (await get_case(client, prefix, "H", NOW)).model_dump(),
            (await search(client, prefix, SearchRequest(size=500), key=KEY)).model_dump(),
            await case_stats(client, prefix, StatsWindow(since=at(-1440), until=at(1440))),
        )

    before = on_es(world.es_url, answers)
    # A document no topic holds: a rebuild must drop it.
    es.index(
        index=index_name(prefix, "cases"),
        id="ghost",
        document={"case_id": "ghost", "queue": "care", "open": True},
        refresh=True,
    )
    seen: list[tuple[int, int]] = []
    stats = on_es(
        world.es_url,
        lambda c: reindex(c, world.config, progress=lambda d, t: seen.append((d, t)), timeout=30),
    )
    assert on_es(world.es_url, answers) == before
    assert not es.exists(index=index_name(prefix, "cases"), id="ghost")
    total = len(world_tweets()) + 1 + BULK_ROWS + 1 + sum(len(e) for e in world_cases()) + 1
    assert seen[-1] == (total, total)
    assert stats.dlq == 2  # found bad again, not sent again:
    assert len(read_all(world.config.bootstrap, world.config.tweets_dlq or "", 1000)) == 1


# --- Elasticsearch going away -------------------------------------------------------------------


class Proxy:
    """A TCP proxy in front of Elasticsearch that can be closed (connections cut, new ones
    refused) and opened again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            finally:
                dst.close()

        await asyncio.gather(
            pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True
        )
        self._writers -= {writer, up_writer}
        self._handlers.discard(task)


def test_the_indexer_waits_out_elasticsearch_and_loses_or_doubles_nothing(
    kafka_bootstrap: str, es: Elasticsearch, infra: InfraSettings
) -> None:
    topics, delete_topics = make_topics(
        kafka_bootstrap, "tweets", "cases", "tweets-dlq", "cases-dlq"
    )
    prefix = f"rmtest-{uuid.uuid4().hex[:8]}"
    config = config_for(kafka_bootstrap, topics, prefix)
    target = urlsplit(infra.es_url)
    first_events = [case_event(case(f"c{n}", customer=customer(n)), 1) for n in range(10)]
    second_events = [
        case_event(e.case.model_copy(update={"priority": Priority.P1}), 2) for e in first_events
    ]
    tweets = [triaged_tweet(f"o-{n}", f"tweet {n}", author=customer(n % 7)) for n in range(60)]
    registry = new_registry()
    metrics = ApiMetrics(registry)

    async def scenario() -> tuple[IndexerStats, int, int]:
        proxy = Proxy(target.hostname or "127.0.0.1", target.port or 9200)
        await proxy.open()
        client = AsyncElasticsearch(
            f"http://127.0.0.1:{proxy.port}", request_timeout=5, max_retries=0
        )
        indexer = Indexer(client, config, metrics=metrics)
        stop = asyncio.Event()
        task = asyncio.create_task(indexer.run(stop))
        try:
            await produce(kafka_bootstrap, config, tweets[:30], first_events)
            offsets = await topic_offsets(kafka_bootstrap, topics[:2])
            await wait_caught_up(indexer, offsets, task=task, timeout=20)
            await proxy.close()
            retries, committed = indexer.stats.retries, indexer.committed()
            # New events, and every earlier one again.
            await produce(
                kafka_bootstrap, config, tweets[30:] + tweets[:30], second_events + first_events
            )
            deadline = time.monotonic() + 10
            while indexer.stats.retries < retries + 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            retried = indexer.stats.retries - retries
            assert indexer.committed() == committed  # nothing committed while it is away
            await proxy.open()
            offsets = await topic_offsets(kafka_bootstrap, topics[:2])
            await wait_caught_up(indexer, offsets, task=task, timeout=20)
        finally:
            stop.set()
            await asyncio.gather(task, return_exceptions=True)
            await client.close()
            await proxy.close()
        task.result()
        return indexer.stats, retried, len(offsets)

    try:
        stats, retried, _ = asyncio.run(scenario())
        assert retried >= 3
        assert registry.get_sample_value("tweetcare_api_indexer_retries") == stats.retries
        es.indices.refresh(index=",".join(index_name(prefix, k) for k in KINDS))
        assert es.count(index=index_name(prefix, "tweets"))["count"] == 60
        assert es.count(index=index_name(prefix, "case-events"))["count"] == 20
        cases = es.search(index=index_name(prefix, "cases"), size=50)["hits"]["hits"]
        assert sorted(
            (h["_id"], h["_source"]["case_version"], h["_source"]["priority"]) for h in cases
        ) == [(f"c{n}", 2, "P1") for n in range(10)]
        assert stats.conflicts == 10  # the repeated version-1 case documents
        assert stats.dlq == 0
    finally:
        drop_read_model(es, prefix)
        delete_topics()
