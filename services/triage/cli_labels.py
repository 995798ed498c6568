"""`tweetcare triage labels`: the agents' decisions from the case history to a labelled CSV."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.plumbing.contracts.codecs import CASES_EVENTS, TWEETS_TRIAGED, TopicName
from services.plumbing.contracts.tweets import TriagedTweet
from services.plumbing.settings import KafkaSettings, load_settings
from services.triage.history import HistoryError, read_topic
from services.triage.labels import COLUMNS, FIELDS, label_rows, referenced, selected


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def since_date(text: str) -> datetime:
    """``2026-11-01`` or an ISO time; a date or a time without zone is UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not a date: {text!r} (use YYYY-MM-DD or an ISO time)"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _labels(args: argparse.Namespace) -> int:
    bootstrap = args.bootstrap or load_settings(KafkaSettings).kafka_bootstrap
    try:
        events, bad_events = read_topic(
            bootstrap, args.cases_topic, CASES_EVENTS, _say,
            keep=lambda e: selected(e, args.since, args.brand),
        )  # fmt: skip
        _say(f"labels: {args.cases_topic}: {len(events):,} case events selected")
        wanted = referenced(events)

        def needed(t: TriagedTweet) -> bool:
            return t.tweet.tweet_id in wanted

        found, bad_tweets = read_topic(bootstrap, args.tweets_topic, TWEETS_TRIAGED, _say, needed)
    except HistoryError as exc:
        print(f"tweetcare triage labels: {exc}", file=sys.stderr)
        return 2
    tweets = {t.tweet.tweet_id: t for t in found}
    labels = label_rows(events, tweets)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(labels.rows)
    os.replace(partial, out)  # a reader never sees half a file
    counts = Counter(f for row in labels.rows for f in FIELDS if row[f])
    said = ", ".join(f"{f} {counts[f]:,}" for f in FIELDS)
    _say(f"labels: {len(labels.rows):,} tweets written to {out} ({said})")
    if labels.without_text:
        skipped = labels.without_text
        _say(f"labels: {skipped:,} decided tweets skipped: {args.tweets_topic} no longer holds "
             "them (retention); their labels have no text to learn from")  # fmt: skip
    if bad_events or bad_tweets:
        _say(f"labels: {bad_events + bad_tweets:,} undecodable records skipped")
    return 0


def register_labels(group: Any) -> None:
    lab = group.add_parser(
        "labels",
        help="agents' decisions from cases.events to a labelled CSV (`triage train --data` "
        "takes it)",
    )
    lab.add_argument("--out", required=True, help="the CSV to write")
    lab.add_argument("--since", type=since_date, help="only decisions from this date (UTC)")
    lab.add_argument("--brand", help="only this brand's cases")
    lab.add_argument("--bootstrap", help="Kafka (default: TWEETCARE_KAFKA_BOOTSTRAP)")
    lab.add_argument("--cases-topic", default=TopicName.CASES_EVENTS.value)
    lab.add_argument("--tweets-topic", default=TopicName.TWEETS_TRIAGED.value)
    lab.set_defaults(handler=_labels)
