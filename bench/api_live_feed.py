"""CPU per case event in the API's live feed (issue 12: decoding that doesn't build what it
doesn't need).

Makes the case events the SLA service writes, with its own engine: generated bilingual tweets
(the demo's traffic), triaged by the product's rules, spread over CUSTOMERS customers, and a claim
by an agent for one case in CLAIM_EVERY (an outcome event), as bytes exactly as they go onto
``cases.events``. Then, in this process and with no Kafka, measures the CPU microseconds per
event of what ``follow()`` does with each record it reads (decode and ``LiveFeed`` publish), and
of the frames a live stream of every queue (``*``, what the console opens) sends for them.
``--baseline REV`` measures the feed of git revision REV the same way, side by side.
Run: python -m bench.api_live_feed [--tweets N] [--customers C] [--rounds R] [--baseline REV]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import services.api.live.feed as current
from services.ingest.generator import generate
from services.plumbing.contracts.actions import AGENT_ACTION
from services.plumbing.contracts.cases import ChangeKind
from services.plumbing.contracts.codecs import CASES_EVENTS, EventValidationError
from services.sla.engine import Engine, Incoming
from services.sla.policies import load_policy
from services.triage.config import TriageConfig
from services.triage.enrich import enrich

POLICY = "warn_at: [0.5, 0.8]\ndefault: {first_response: 2m, next_response: 2m, resolution: 10m}\n"
# Short clocks: warnings and breaches fall due while the stream runs, as in the pipeline.
CLAIM_EVERY = 5
AGENT = {"id": "agent-bench", "name": "Bench", "role": "agent"}


def case_events(tweets: int, customers: int, start: datetime) -> list[bytes]:
    """The case events of ``tweets`` generated tweets as the SLA engine writes them."""
    stream = generate(7, start, tweets_per_minute=24_000, customers=customers)
    config, engine = TriageConfig(), Engine(load_policy(POLICY))
    events: list[bytes] = []
    done = opened = 0
    while done < tweets:
        batch = [next(stream) for _ in range(min(500, tweets - done))]
        done += len(batch)
        now = batch[-1].created_at
        inputs: list[Incoming] = [
            Incoming(tt.tweet.case_key, 0, tt) for tt in enrich(batch, config, None, now)
        ]
        inputs += engine.due_keys(now)
        written = engine.apply(inputs, now)
        events += [value for _, value in written.events]
        claims: list[Incoming] = []
        for event in written.emitted:
            if event.change.kind == ChangeKind.OPENED:
                opened += 1
                if opened % CLAIM_EVERY == 0:
                    claim = AGENT_ACTION.validate_python({
                        "event_id": uuid.uuid4().hex, "kind": "claim",
                        "case_id": event.case.case_id, "case_key": event.case.case_key,
                        "actor": AGENT, "requested_at": now,
                    })  # fmt: skip
                    claims.append(Incoming(event.case.case_key, 0, claim))
        events += [value for _, value in engine.apply(claims, now).events]
        print(f"\rapi_live_feed: {done:,}/{tweets:,} tweets, {len(events):,} case events",
              end="", file=sys.stderr)  # fmt: skip
    print(file=sys.stderr)
    return events


def feed_of(revision: str) -> ModuleType:
    """``services/api/live/feed.py`` as it was at git ``revision``, as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{revision}:services/api/live/feed.py"],
        check=True, capture_output=True, cwd=Path(__file__).resolve().parent.parent,
    ).stdout  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-feed-") as folder:
        path = Path(folder) / "feed_baseline.py"
        path.write_bytes(source)
        spec = importlib.util.spec_from_file_location("feed_baseline", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def _receiver(feed_module: ModuleType) -> Callable[[Any, bytes], None]:
    """What ``follow()`` does with one record's value (a feed from before ``receive`` existed
    decoded it whole and published the event)."""
    receive: Callable[[Any, bytes], None] | None = getattr(feed_module, "receive", None)
    if receive is not None:
        return receive

    def decode_and_publish(feed: Any, value: bytes) -> None:
        try:
            feed.publish(CASES_EVENTS.decode(value))
        except EventValidationError:
            logging.getLogger("tweetcare.api.live").warning("undecodable case event skipped")

    return decode_and_publish


def measure(feed_module: ModuleType, events: list[bytes]) -> tuple[float, float]:
    """CPU µs per event: reading the events into a fresh feed, and framing them for a ``*``
    stream."""
    receive = _receiver(feed_module)
    quiet = feed_module.LiveFeed(10_000, stream_capacity=len(events))
    started = time.process_time()
    for value in events:
        receive(quiet, value)
    read = time.process_time() - started
    assert quiet.received == len(events), "the feed skipped good events"

    async def streamed() -> float:
        feed = feed_module.LiveFeed(10_000, stream_capacity=len(events))
        sub, backlog, found = feed.subscribe("*", None)
        for value in events:
            receive(feed, value)
        stream = feed_module.sse(feed, sub, backlog, found, heartbeat_s=60)
        await anext(stream)  # retry:
        began = time.process_time()
        for _ in events:
            await anext(stream)
        spent = time.process_time() - began
        await stream.aclose()
        return spent

    framed = asyncio.run(streamed())
    return read / len(events) * 1e6, framed / len(events) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=6000)
    parser.add_argument("--customers", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5, help="measurements; the median is shown")
    parser.add_argument("--baseline", metavar="REV", help="also measure the feed of git REV")
    args = parser.parse_args()
    start = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # fixed: the same events every run
    events = case_events(args.tweets, args.customers, start)
    outcomes = sum(b'"outcome":{' in value for value in events)
    feeds = {"this tree": current}
    if args.baseline:
        feeds = {f"at {args.baseline}": feed_of(args.baseline), **feeds}
    results: dict[str, tuple[float, float]] = {}
    for name, module in feeds.items():
        runs = []
        for n in range(args.rounds):
            runs.append(measure(module, events))
            print(f"api_live_feed: {name} round {n + 1}/{args.rounds}", file=sys.stderr)
        results[name] = (
            statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs),
        )
    size = sum(map(len, events)) / len(events)
    print(f"api_live_feed: {len(events):,} case events of {args.tweets:,} tweets "
          f"({len(events) / args.tweets:.2f} a tweet, {outcomes:,} outcomes, {size:,.0f} bytes "
          f"on average), median of {args.rounds} rounds")  # fmt: skip
    for name, (read, framed) in results.items():
        print(f"  {name:>16}: read + publish {read:6.1f} µs CPU an event; "
              f"frame for a * stream {framed:6.1f} µs")  # fmt: skip


if __name__ == "__main__":
    main()
