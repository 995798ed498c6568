"""`tweetcare ingest ...` subcommands."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from services.ingest.brands import BrandConfigError
from services.ingest.dedupe import Admission, RetweetPolicy, SeenWindow
from services.ingest.generator import generate
from services.ingest.pacing import Pacing, PacingError
from services.ingest.rejects import Rejected
from services.ingest.replay import FileFormat, JsonLines, load_events, replay, stderr_progress
from services.ingest.replay_plan import plan, plan_stream
from services.ingest.settings import IngestSettings
from services.plumbing.cli_support import command_group
from services.plumbing.contracts.codecs import DEAD_LETTERS, TWEETS_RAW, dlq_topic
from services.plumbing.deadletters import dead_letter_of
from services.plumbing.publisher import EventPublisher, make_producer
from services.plumbing.records import Record
from services.plumbing.settings import load_settings


def _publish(
    settings: IngestSettings, topic: str, items: Any, admission: Admission, limit: int | None,
    output: str = "kafka",
) -> int:  # fmt: skip
    """Publish planned items to ``topic`` (or as JSON lines on stdout); a clear error when Kafka
    cannot be reached."""
    if output == "jsonl":
        report = asyncio.run(
            replay(items, JsonLines(sys.stdout.buffer), admission, progress=stderr_progress,
                   limit=limit)
        )  # fmt: skip
        print(f"replay: done: {report.published:,} written; {report.counts}", file=sys.stderr)
        return 0

    async def work(producer: AIOKafkaProducer) -> None:
        publisher = EventPublisher(producer, TWEETS_RAW, lambda e: e.case_key, topic=topic)
        report = await replay(items, publisher, admission, progress=stderr_progress, limit=limit)
        print(
            f"replay: done: {report.published:,} published in {report.seconds:.1f}s "
            f"({report.rate:,.0f}/s); {report.counts}",
            file=sys.stderr,
        )

    return _with_producer(settings, work)


def _with_producer(
    settings: IngestSettings, work: Callable[[AIOKafkaProducer], Awaitable[None]]
) -> int:
    """Run ``work`` with a started producer; a clear error when Kafka cannot be reached."""

    async def run() -> None:
        producer = make_producer(settings, client_id="tweetcare-ingest-replay")
        try:
            await producer.start()
            await work(producer)
        finally:
            await producer.stop()

    try:
        asyncio.run(run())
    except KafkaConnectionError:
        print(
            f"tweetcare ingest: Kafka is not reachable at {settings.kafka_bootstrap}: "
            "start it with `tweetcare infra up` or set TWEETCARE_KAFKA_BOOTSTRAP",
            file=sys.stderr,
        )
        return 1
    return 0


def _generate(args: argparse.Namespace) -> int:
    settings = load_settings(IngestSettings)
    try:
        pacing = Pacing.parse(args.speed, args.rate)
    except PacingError as exc:
        print(f"tweetcare ingest generate: {exc}", file=sys.stderr)
        return 2
    start = datetime.now(UTC)
    items: Any = plan_stream(
        generate(args.seed, start, tweets_per_minute=args.per_minute), pacing, start
    )
    if args.duration is not None:
        until = start + timedelta(seconds=args.duration)
        items = itertools.takewhile(lambda item: item.event.created_at <= until, items)
    print(
        f"generate: bilingual stream, seed {args.seed}, about {args.per_minute:g} tweets/min "
        f"of event time, to {args.topic} at {settings.kafka_bootstrap}",
        file=sys.stderr,
    )
    admission = Admission(RetweetPolicy(args.retweets), SeenWindow(settings.ingest_dedupe_window))
    return _publish(settings, args.topic, items, admission, args.count, args.output)


def _replay(args: argparse.Namespace) -> int:
    settings = load_settings(IngestSettings)
    try:
        pacing = Pacing.parse(args.speed, args.rate)
        started = datetime.now(UTC)
        rejects: list[Rejected] = []
        events = load_events(Path(args.file), FileFormat(args.format), args.brand, rejects)
    except (PacingError, BrandConfigError, ValueError, OSError) as exc:
        print(f"tweetcare ingest replay: {exc}", file=sys.stderr)
        return 2
    print(
        f"replay: {len(events):,} tweets read from {args.file} ({args.format}), "
        f"publishing to {args.topic} at {settings.kafka_bootstrap}",
        file=sys.stderr,
    )
    if rejects:
        for r in rejects[:5]:
            print(f"replay: rejected {r.where}: {r.reason}", file=sys.stderr)
        if args.output == "kafka" and _dead_letter(settings, args.topic, rejects) != 0:
            return 1
        where = "" if args.output != "kafka" else f" to {dlq_topic(args.topic)}"
        print(f"replay: {len(rejects):,} malformed rows or tweets rejected{where}", file=sys.stderr)
    items = plan(
        events,
        pacing,
        loops=None if args.loop else args.loops,
        rebase_to=started if args.rebase_to_now else None,
    )
    admission = Admission(RetweetPolicy(args.retweets), SeenWindow(settings.ingest_dedupe_window))
    return _publish(settings, args.topic, items, admission, args.limit, args.output)


def _dead_letter(settings: IngestSettings, topic: str, rejects: list[Rejected]) -> int:
    """Each rejected row or tweet on ``<topic>.dlq`` with its reason (the original kept whole)."""
    now = datetime.now(UTC)
    letters = [
        dead_letter_of(ValueError(r.reason), Record(topic, 0, number, None, r.payload()),
                       consumer="tweetcare-ingest-replay", now=now)
        for number, r in enumerate(rejects)
    ]  # fmt: skip

    async def work(producer: AIOKafkaProducer) -> None:
        for letter in letters:
            await producer.send(dlq_topic(topic), DEAD_LETTERS.encode(letter))
        await producer.flush()

    return _with_producer(settings, work)


def _run(args: argparse.Namespace) -> int:
    from services.ingest.service import run
    from services.ingest.settings import IngestServiceSettings
    from services.plumbing.logs import configure_logging

    configure_logging("ingest", args.log_level)
    return run(load_settings(IngestServiceSettings), generated=not args.no_generate)


def register(subparsers: Any) -> None:
    """Add `tweetcare ingest` and its subcommands."""
    group = command_group(subparsers, "ingest", "the ingest service (X gateway, replays)")
    run = group.add_parser(
        "run",
        help="run the ingest service: X (or the generated stream) in, the outbox out",
        description="With X_BEARER_TOKEN set: the filtered stream, mention/search/DM polling and "
        "the outbox on X. Without: the generated bilingual stream and a local sandbox outbox.",
    )
    run.add_argument(
        "--no-generate", action="store_true",
        help="without X credentials: run only the sandbox outbox (feed tweets with replay)",
    )  # fmt: skip
    run.add_argument("--log-level", default="INFO")
    run.set_defaults(handler=_run)
    rep = group.add_parser(
        "replay",
        help="publish a file's tweets to tweets.raw (X v2 JSON, TWCS CSV, IBM JSON)",
        description="Publish a file's tweets to Kafka, paced, each tweet once.",
    )
    rep.add_argument("file", help="the file to replay")
    rep.add_argument("--format", required=True, choices=[f.value for f in FileFormat])
    rep.add_argument("--speed", default="max", help="real-time factor (e.g. 60) or 'max'")
    rep.add_argument("--rate", type=float, default=None, help="at most N tweets a second")
    loops = rep.add_mutually_exclusive_group()
    loops.add_argument("--loop", action="store_true", help="replay again and again until stopped")
    loops.add_argument("--loops", type=int, default=1, help="replay N times (ids made unique)")
    rep.add_argument(
        "--brand",
        action="append",
        default=[],
        metavar="HANDLE=BRAND",
        help="map a customer-facing handle to a brand (repeatable); other brand handles found "
        "in the file are brands of their own",
    )
    rep.add_argument(
        "--retweets", default="drop", choices=[p.value for p in RetweetPolicy], help="retweets"
    )
    rep.add_argument(
        "--rebase-to-now",
        action="store_true",
        help="move the file's times so the first tweet is now (live demos)",
    )
    rep.add_argument("--topic", default=TWEETS_RAW.topic, help=argparse.SUPPRESS)
    rep.add_argument("--limit", type=int, default=None, help="stop after N published tweets")
    rep.add_argument(
        "--output", choices=["kafka", "jsonl"], default="kafka",
        help="kafka (default) or jsonl: the normalised events as JSON lines on stdout",
    )  # fmt: skip
    rep.set_defaults(handler=_replay)
    gen = group.add_parser(
        "generate",
        help="publish a generated bilingual support stream to tweets.raw (demos without X)",
    )
    gen.add_argument("--seed", type=int, default=1, help="the same seed gives the same stream")
    gen.add_argument("--per-minute", type=float, default=30.0, help="scenarios a minute")
    gen.add_argument("--speed", default="1", help="real-time factor (default 1) or 'max'")
    gen.add_argument("--rate", type=float, default=None, help="at most N tweets a second")
    gen.add_argument("--count", type=int, default=None, help="stop after N published tweets")
    gen.add_argument("--retweets", default="drop", choices=[p.value for p in RetweetPolicy])
    gen.add_argument("--topic", default=TWEETS_RAW.topic, help=argparse.SUPPRESS)
    gen.add_argument(
        "--duration", type=float, default=None, help="stop after S seconds of event time"
    )
    gen.add_argument("--output", choices=["kafka", "jsonl"], default="kafka",
                     help="kafka (default) or jsonl on stdout")  # fmt: skip
    gen.set_defaults(handler=_generate)
