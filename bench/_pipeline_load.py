"""The pipeline benchmark's load: the generated stream at a controlled rate, and probe tweets
whose trip to the queue API is timed.

The feed is the ingest service's own publishing path — the generator's events through
:func:`services.ingest.replay_plan.plan` (paced by rate, times rebased to when each is due,
ids made unique per loop) and :func:`services.ingest.replay.replay` into a
:class:`services.ingest.bridge.Gate` (duplicate window, record batches, the product's producer)
— run in the benchmark's process. The events come from a pool generated before the timed part,
so the generator's own cost (~150 µs an event) is not charged to the machine under test.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from bench._pipeline_report import ProbeMarks
from services.ingest.bridge import Gate
from services.ingest.dedupe import Admission, RetweetPolicy, SeenWindow, Verdict
from services.ingest.generator import generate
from services.ingest.metrics import IngestMetrics
from services.ingest.normalise import SNOWFLAKE_EPOCH_MS, build_event
from services.ingest.pacing import Pacing
from services.ingest.replay import replay
from services.ingest.replay_plan import Planned, relabel
from services.plumbing.contracts.codecs import TWEETS_RAW
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TweetEvent
from services.plumbing.metrics import new_registry
from services.plumbing.publisher import EventPublisher

PROBE_HANDLE = "AcmeProbe"
PROBE_QUEUE = "bench-probes"
PROBE_CUSTOMERS = 8_100_000_000  # the first probe's customer id; the next are +1, +2, …
PROBE_KEY = f":{PROBE_CUSTOMERS // 1_000_000}".encode()  # in each probe record's key
PAGE = 100  # cases a look asks for; the newest (most time left) come last
PROBE_TEXT = (
    "@AcmeProbe my parcel has not arrived, the tracking page has said 'out for delivery' for "
    "three days now. Can someone look into it?"
)


def event_pool(size: int, seed: int, rate: float, customers: int) -> list[TweetEvent]:
    """The first ``size`` events of the generated stream that ingest would publish (retweets
    are held back by its default policy), generated at about ``rate`` events per second of
    event time, from ``customers`` people."""
    admission = Admission(RetweetPolicy.DROP, SeenWindow(size * 2))
    stream = generate(seed, datetime.now(UTC), tweets_per_minute=rate * 60, customers=customers)
    admitted = (e for e in stream if admission.decide(e) is Verdict.PUBLISH)
    return list(itertools.islice(admitted, size))


@dataclass(frozen=True)
class Fed:
    published: int
    start: float  # time.monotonic()
    end: float
    wall_start: datetime
    wall_end: datetime


class Feeder:
    """Publishes the pool, looped, at a given rate; one Gate (and duplicate window) for the run,
    so a later step never repeats an earlier one's ids."""

    def __init__(self, producer: AIOKafkaProducer, topic: str, pool: list[TweetEvent]) -> None:
        self._admission = Admission(RetweetPolicy.DROP, SeenWindow(2_000_000))
        self._gate = Gate(producer, self._admission, IngestMetrics(new_registry()), topic=topic)
        self._pool = pool
        self._loops = 0  # loops of the pool used by earlier steps

    async def feed(self, rate: float, duration: float) -> Fed:
        count = int(rate * duration)
        wall_start = datetime.now(UTC)
        start = time.monotonic()
        items = _planned(self._pool, rate, self._loops, wall_start)
        report = await replay(items, self._gate, self._admission, limit=count)
        self._loops += -(-count // len(self._pool))
        return Fed(report.published, start, time.monotonic(), wall_start, datetime.now(UTC))


def _planned(
    pool: list[TweetEvent], rate: float, first_loop: int, origin: datetime
) -> Iterator[Planned]:
    """The pool looped from loop ``first_loop`` (ids made unique per loop, as ``ingest replay
    --loop`` does), each event due at ``index / rate`` and timed as when it is due."""
    pacing = Pacing(None, rate)
    looped = ((loop, event) for loop in itertools.count(first_loop) for event in pool)
    for index, (loop, event) in enumerate(looped):
        offset = pacing.offset(index, origin, origin)
        due = origin + timedelta(seconds=offset)
        moved = relabel(event, loop, timedelta(0))
        yield Planned(offset, moved.model_copy(update={"created_at": due, "received_at": due}))


def probe_event(n: int, at: datetime) -> TweetEvent:
    """A customer's complaint to the probe handle, routed to :data:`PROBE_QUEUE` (the
    benchmark's triage routes), from a customer of its own so it opens a case of its own."""
    ms = int(at.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
    tweet_id = str((ms << 22) | (n % (1 << 22)))
    customer = Author(
        id=str(PROBE_CUSTOMERS + n), handle=f"probe{n}", name=f"Probe {n}", followers=12
    )
    return build_event(
        tweet_id=tweet_id, conversation_id=tweet_id, text=PROBE_TEXT, author=customer,
        brand="acme", handle=PROBE_HANDLE,
        matched=[Match(kind=MatchKind.MENTION, rule=PROBE_HANDLE)],
        direction=Direction.INBOUND, customer_id=customer.id, created_at=at, received_at=at,
        source=Source.GENERATED, lang_hint="en",
    )  # fmt: skip


@dataclass
class Probes:
    """Probe tweets sent straight to the raw topic, and a poller of the probe queue that notes
    when each first shows there (seconds from just before the send)."""

    producer: AIOKafkaProducer
    topic: str
    api_url: str
    token: str
    poll_s: float = 0.1
    sent: dict[str, float] = field(default_factory=dict)  # tweet id -> monotonic send time
    seen: dict[str, float] = field(default_factory=dict)  # tweet id -> latency (s)
    sent_ms: dict[str, float] = field(default_factory=dict)  # tweet id -> epoch ms at the send
    errors: list[str] = field(default_factory=list)
    _count: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def pending(self) -> set[str]:
        return set(self.sent) - set(self.seen)

    async def send_one(self) -> str:
        event = probe_event(next(self._count), datetime.now(UTC))
        publisher = EventPublisher(
            self.producer, TWEETS_RAW, lambda e: e.case_key, topic=self.topic
        )
        self.sent[event.tweet_id] = time.monotonic()
        self.sent_ms[event.tweet_id] = time.time() * 1000
        await publisher.publish(event)
        return event.tweet_id

    async def send_every(self, interval: float, done: Callable[[], bool]) -> None:
        while not done():
            await self.send_one()
            await asyncio.sleep(interval)

    async def poll(self, stop: asyncio.Event) -> None:
        """Until ``stop``: look for the pending probes in the probe queue (open, not breached:
        the newest cases; older breached probes would crowd them off the pages)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        url = f"{self.api_url}/v1/queues/{PROBE_QUEUE}/cases"
        async with httpx.AsyncClient(headers=headers, timeout=10) as client:
            while not stop.is_set():
                if self.pending:
                    try:
                        await self._look(client, url)
                    except (httpx.HTTPError, KeyError, ValueError) as exc:
                        self.errors.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(self.poll_s)

    async def _look(self, client: httpx.AsyncClient, url: str) -> None:
        cursor: str | None = None
        for _ in range(5):
            params: dict[str, str | int] = {"breached": "false", "limit": PAGE}
            if cursor:
                params["cursor"] = cursor
            response = await client.get(url, params=params)
            now = time.monotonic()
            if response.status_code != 200:
                raise ValueError(f"{url} answered {response.status_code}: {response.text[:200]}")
            page = orjson.loads(response.content)
            for item in page["items"]:
                opening = item["case"]["opening_tweet_id"]
                if opening in self.sent and opening not in self.seen:
                    self.seen[opening] = now - self.sent[opening]
            cursor = page.get("next_cursor")
            if not cursor or len(page["items"]) < PAGE or not self.pending:
                return

    def latencies(self, since: float, until: float) -> tuple[list[float], int]:
        """Latencies of the probes sent in [since, until] (monotonic), and how many of those
        were never seen."""
        mine = [tid for tid, at in self.sent.items() if since <= at <= until]
        return [self.seen[t] for t in mine if t in self.seen], sum(t not in self.seen for t in mine)

    def marks(
        self, since: float, until: float, triaged_ms: Mapping[str, float],
        opened_ms: Mapping[str, float],
    ) -> list[ProbeMarks]:  # fmt: skip
        """The hop times of the probes sent in [since, until] (monotonic), given when each
        probe's triaged record and its case's first event were produced (by tweet id)."""
        return [
            ProbeMarks(
                sent_ms=self.sent_ms[t],
                triaged_ms=triaged_ms.get(t),
                opened_ms=opened_ms.get(t),
                listed_ms=self.sent_ms[t] + self.seen[t] * 1000 if t in self.seen else None,
            )
            for t, at in self.sent.items()
            if since <= at <= until
        ]
