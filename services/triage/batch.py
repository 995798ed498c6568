"""One batch of consumed messages to the messages triage sends: decode, decide, encode.

No Kafka here: the faust agent hands in what it took from the stream and sends what comes back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.plumbing.contracts.codecs import DEAD_LETTERS, TWEETS_RAW, TWEETS_TRIAGED
from services.plumbing.contracts.deadletter import DeadLetter
from services.plumbing.contracts.tweets import TriagedTweet, TweetEvent
from services.plumbing.deadletters import dead_letter_of, decode
from services.plumbing.records import Record
from services.triage.config import TriageConfig
from services.triage.enrich import enrich
from services.triage.metrics import TriageMetrics
from services.triage.model import TextModel

CONSUMER = "tweetcare-triage"
log = logging.getLogger("tweetcare.triage")


@dataclass(frozen=True)
class Outgoing:
    key: bytes | None
    value: bytes
    dead: bool
    received_at: datetime | None = None


def _decode(message: Record, now: datetime) -> TweetEvent | DeadLetter:
    return decode(TWEETS_RAW, message, consumer=CONSUMER, now=now)


def _enrich_each(
    messages: Sequence[Record],
    decoded: list[TweetEvent | DeadLetter],
    config: TriageConfig,
    model: TextModel | None,
    now: datetime,
) -> list[TriagedTweet | DeadLetter]:
    """Decide the whole batch at once; if that fails, tweet by tweet, dead-lettering the culprit."""
    tweets = [d for d in decoded if isinstance(d, TweetEvent)]
    try:
        triaged = iter(enrich(tweets, config, model, now))
        return [next(triaged) if isinstance(d, TweetEvent) else d for d in decoded]
    except Exception:  # a bad tweet must not stop triage; found below
        log.exception("batch decision failed; deciding tweet by tweet")
    out: list[TriagedTweet | DeadLetter] = []
    for message, item in zip(messages, decoded, strict=True):
        if isinstance(item, DeadLetter):
            out.append(item)
            continue
        try:
            out.append(enrich([item], config, model, now)[0])
        except Exception as exc:
            out.append(dead_letter_of(exc, message, consumer=CONSUMER, now=now))
    return out


def triage_messages(
    messages: Sequence[Record],
    config: TriageConfig,
    model: TextModel | None,
    metrics: TriageMetrics,
    now: datetime,
) -> list[Outgoing]:
    """Triaged events (keyed by case key) and dead letters, in input order."""
    decoded = [_decode(m, now) for m in messages]
    started = time.perf_counter()
    results = _enrich_each(messages, decoded, config, model, now)
    metrics.decision_seconds.observe((time.perf_counter() - started) / max(1, len(messages)))
    metrics.batch_size.observe(len(messages))
    out = []
    for message, item in zip(messages, results, strict=True):
        if isinstance(item, DeadLetter):
            metrics.dead_letters.labels(message.topic, item.reason_code.value).inc()
            out.append(Outgoing(message.key, DEAD_LETTERS.encode(item), dead=True))
            continue
        metrics.count(item)
        out.append(
            Outgoing(
                item.tweet.case_key.encode(),
                TWEETS_TRIAGED.encode(item),
                dead=False,
                received_at=item.tweet.received_at,
            )
        )
    return out
