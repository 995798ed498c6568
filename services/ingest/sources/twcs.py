"""TWCS CSV ("Customer Support on Twitter"): tweets with reply links, brands by handle.

Columns: ``tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id``.
Brand rows carry the brand's handle as ``author_id``; customers are anonymised numbers.
Direction is derived from the brand handles (never from the ``inbound`` column), the brand of a
customer tweet from the reply links (the brand tweet it answers or that answers it), else from
its first @mention of a brand handle; conversations are rooted by following the reply links.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from services.ingest.brands import BrandMap
from services.ingest.normalise import build_event, mentions
from services.ingest.rejects import Rejected, keep
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TweetEvent

_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"


@dataclass(frozen=True)
class Row:
    tweet_id: str
    author_id: str
    created_at: datetime
    text: str
    responses: tuple[str, ...]
    parent: str | None


@dataclass
class TwcsStats:
    """What the file held that did not become an event, for the operator and the tests."""

    rows: int = 0
    events: int = 0
    no_brand: int = 0
    parents_outside_file: int = 0
    skipped: list[str] = field(default_factory=list)


def read_rows(stream: TextIO, rejects: list[Rejected] | None = None) -> list[Row]:
    """Parse the CSV; a malformed row raises ValueError naming its line, or with ``rejects``
    is kept there and skipped. Unknown columns are ignored."""
    rows = []
    for line, rec in enumerate(csv.DictReader(stream), start=2):
        try:
            author_id = (rec["author_id"] or "").strip()
            if not author_id:
                raise ValueError("author_id is missing")
            tweet_id = rec["tweet_id"].strip()
            if not tweet_id.isdigit():
                raise ValueError(f"tweet_id {tweet_id!r} is not a number")
            rows.append(
                Row(
                    tweet_id=tweet_id,
                    author_id=author_id,
                    created_at=datetime.strptime(rec["created_at"].strip(), _TIME_FORMAT),
                    text=rec["text"],
                    responses=tuple(x for x in (rec["response_tweet_id"] or "").split(",") if x),
                    parent=(rec["in_response_to_tweet_id"] or "").strip() or None,
                )
            )
        except (KeyError, ValueError, AttributeError, TypeError) as exc:
            keep(rejects, f"line {line}", ValueError(f"TWCS line {line}: {exc}"), rec)
    return rows


def brand_handles(rows: Iterable[Row]) -> set[str]:
    """Handles that author tweets in this file and are not anonymised customers (numbers)."""
    return {r.author_id for r in rows if not r.author_id.isdigit()}


def events(
    rows: list[Row], brands: BrandMap, stats: TwcsStats | None = None,
    rejects: list[Rejected] | None = None,
) -> Iterator[TweetEvent]:  # fmt: skip
    """Every tweet of ``rows`` that concerns a brand, as a replay event, in time order."""
    stats = stats if stats is not None else TwcsStats()
    stats.rows = len(rows)
    by_id = {r.tweet_id: r for r in rows}

    def root(row: Row) -> str:
        seen = set()
        while row.parent is not None and row.parent in by_id and row.tweet_id not in seen:
            seen.add(row.tweet_id)
            row = by_id[row.parent]
        return row.parent if row.parent is not None else row.tweet_id

    ordered = sorted(rows, key=lambda r: (r.created_at, int(r.tweet_id)))
    roots = {r.tweet_id: root(r) for r in rows}
    # The brand of a conversation: the first brand handle that speaks in it.
    conversation_brand: dict[str, str] = {}
    for row in ordered:
        if brands.is_brand(row.author_id):
            conversation_brand.setdefault(roots[row.tweet_id], row.author_id)

    def brand_handle_of(row: Row) -> str | None:
        if brands.is_brand(row.author_id):
            return row.author_id
        linked = [by_id[i] for i in (row.parent, *row.responses) if i is not None and i in by_id]
        for other in linked:
            if brands.is_brand(other.author_id):
                return other.author_id
        in_conversation = conversation_brand.get(roots[row.tweet_id])
        return in_conversation or brands.first_mentioned(mentions(row.text))

    for row in ordered:
        if row.parent is not None and row.parent not in by_id:
            stats.parents_outside_file += 1
        handle = brand_handle_of(row)
        brand = brands.brand_of(handle)
        if handle is None or brand is None:
            stats.no_brand += 1
            stats.skipped.append(row.tweet_id)
            continue
        outbound = brands.is_brand(row.author_id)
        parent = by_id.get(row.parent) if row.parent else None
        if outbound:
            answered = parent.author_id if parent is not None else None
            customer = answered or next(iter(mentions(row.text)), row.author_id)
            match = Match(kind=MatchKind.OWN, rule=row.author_id)
        else:
            customer = row.author_id
            mentioned = {m.lower() for m in mentions(row.text)}
            kind = MatchKind.MENTION if handle.lower() in mentioned else MatchKind.THREAD
            match = Match(kind=kind, rule=f"@{handle}")
        try:
            event = _event(row, roots[row.tweet_id], brand, handle, match, outbound, customer,
                           parent)  # fmt: skip
        except ValueError as exc:
            keep(rejects, f"tweet {row.tweet_id}", exc, row.__dict__)
            continue
        stats.events += 1
        yield event


def _event(
    row: Row, root: str, brand: str, handle: str, match: Match, outbound: bool, customer: str,
    parent: Row | None,
) -> TweetEvent:  # fmt: skip
    return build_event(
        tweet_id=row.tweet_id,
        conversation_id=root,
        text=row.text,
        author=Author(id=row.author_id, handle=row.author_id),
        brand=brand,
        handle=handle,
        matched=[match],
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        customer_id=customer,
        created_at=row.created_at,
        received_at=row.created_at,
        source=Source.REPLAY_TWCS,
        in_reply_to_tweet_id=row.parent,
        in_reply_to_user_id=parent.author_id if parent is not None else None,
    )
