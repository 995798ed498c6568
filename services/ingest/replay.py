"""`tweetcare ingest replay`: a file's tweets published to ``tweets.raw``, paced, once each."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO

from services.ingest.brands import BrandMap
from services.ingest.dedupe import Admission, Verdict
from services.ingest.rejects import Rejected
from services.ingest.replay_plan import Planned
from services.ingest.sources import ibm, twcs, xv2
from services.plumbing.clock import SYSTEM_CLOCK, Clock
from services.plumbing.contracts.codecs import TWEETS_RAW
from services.plumbing.contracts.tweets import TweetEvent

BATCH_SIZE = 2_000
MAX_PENDING_BATCHES = 64


class FileFormat(StrEnum):
    TWCS = "twcs"
    IBM = "ibm"
    X_V2 = "x-v2"


def load_events(
    path: Path, fmt: FileFormat, brand_pairs: Sequence[str], rejects: list[Rejected] | None = None
) -> list[TweetEvent]:
    """The file's tweets as events in time order. Handles not mapped by ``brand_pairs`` that the
    file shows to be brand accounts become brands of their own (their lowercased handle).

    Without ``rejects`` the first malformed row raises ValueError; with it, malformed rows and
    tweets (invalid UTF-8, empty or over-long text, missing fields or author) are kept there and
    the rest of the file goes on.
    """
    configured = BrandMap.from_pairs(brand_pairs)
    with path.open(newline="", encoding="utf-8", errors="surrogateescape") as stream:
        return _load(stream, fmt, configured, rejects)


def _load(
    stream: TextIO, fmt: FileFormat, configured: BrandMap, rejects: list[Rejected] | None
) -> list[TweetEvent]:
    if fmt == FileFormat.TWCS:
        rows = twcs.read_rows(stream, rejects)
        brands = configured.extended(twcs.brand_handles(rows))
        return list(twcs.events(rows, brands, rejects=rejects))
    if fmt == FileFormat.IBM:
        conversations = ibm.load(stream)
        companies = {
            c["dialogHeader"]["company"] for c in conversations
            if isinstance(c, dict) and isinstance(c.get("dialogHeader"), dict)
            and isinstance(c["dialogHeader"].get("company"), str)
        }  # fmt: skip
        return list(ibm.events(conversations, configured.extended(companies), rejects=rejects))
    pages = list(xv2.pages(stream, rejects))
    return list(xv2.events(pages, configured.extended(xv2.brand_handles(pages)), rejects))


@dataclass
class ReplayReport:
    published: int
    seconds: float
    counts: dict[str, int]

    @property
    def rate(self) -> float:
        return self.published / self.seconds if self.seconds > 0 else 0.0


class BatchSink(Protocol):
    """Where replayed events go: Kafka (:class:`EventPublisher`) or JSON lines."""

    async def send_batch(self, events: Sequence[TweetEvent]) -> list[asyncio.Future[Any]]: ...


class JsonLines:
    """Writes each event as one JSON line (``--output jsonl``: inspection and pipes)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    async def send_batch(self, events: Sequence[TweetEvent]) -> list[asyncio.Future[Any]]:
        self._out.write(b"".join(TWEETS_RAW.encode(e) + b"\n" for e in events))
        self._out.flush()
        return []


async def replay(
    items: Iterable[Planned],
    publisher: BatchSink,
    admission: Admission,
    *,
    clock: Clock = SYSTEM_CLOCK,
    progress: Callable[[str], Any] | None = None,
    limit: int | None = None,
) -> ReplayReport:
    """Publish each admitted event when due; waits for every delivery before returning.

    Events that are due together go out as record batches; a batch is flushed before waiting
    for the next due event, so pacing is never delayed by buffering.
    """
    start = clock.monotonic()
    last_report = start
    published = 0
    batch: list[TweetEvent] = []
    pending: list[asyncio.Future[Any]] = []

    async def flush() -> None:
        if batch:
            pending.extend(await publisher.send_batch(batch))
            batch.clear()
        if len(pending) >= MAX_PENDING_BATCHES:
            await asyncio.gather(*pending)
            pending.clear()

    for item in items:
        ahead = item.offset - (clock.monotonic() - start)
        if ahead > 0.002:
            await flush()
            await asyncio.sleep(ahead)
        if admission.decide(item.event) is not Verdict.PUBLISH:
            continue
        batch.append(item.event)
        published += 1
        if len(batch) >= BATCH_SIZE:
            await flush()
            now = clock.monotonic()
            if progress is not None and now - last_report >= 1.0:
                last_report = now
                progress(_progress_line(published, now - start, admission))
        if limit is not None and published >= limit:
            break
    await flush()
    await asyncio.gather(*pending)
    elapsed = clock.monotonic() - start
    if progress is not None:
        progress(_progress_line(published, elapsed, admission))
    return ReplayReport(published, elapsed, {v.value: n for v, n in admission.counts.items()})


def _progress_line(published: int, elapsed: float, admission: Admission) -> str:
    rate = published / elapsed if elapsed > 0 else 0.0
    held = ", ".join(
        f"{admission.counts[v]:,} {v.value.replace('_', ' ')}"
        for v in Verdict
        if v != Verdict.PUBLISH
    )
    return f"replay: {published:,} tweets published ({rate:,.0f}/s); held back: {held}"


def stderr_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
