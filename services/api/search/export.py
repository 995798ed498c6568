"""CSV export of any search, streamed: a point in time and ``search_after``, one page at a time.

Memory stays flat however many rows match: only one page (``page_size`` documents, only the
exported fields) is held at once, and each page is yielded as bytes before the next is asked
for. The point in time keeps the rows consistent while the index changes, and is closed at the
end, on error, or when the consumer stops reading.

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return) in free-text columns get a leading apostrophe (OWASP's CSV injection advice):
``@acme my parcel`` is exported as ``'@acme my parcel``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

from elasticsearch import AsyncElasticsearch

from services.api.search.service import SearchRequest, search_index, search_query, search_sort

PAGE_SIZE = 5_000
KEEP_ALIVE = "2m"

Column = tuple[str, str]  # (header, dotted path in the document)

TWEET_COLUMNS: list[Column] = [
    ("tweet_id", "tweet_id"), ("created_at", "created_at"), ("brand", "brand"),
    ("handle", "handle"), ("direction", "direction"), ("channel", "channel"),
    ("conversation_id", "conversation_id"), ("in_reply_to_tweet_id", "in_reply_to_tweet_id"),
    ("author_id", "author.id"), ("author_handle", "author.handle"),
    ("author_name", "author.name"), ("author_followers", "author.followers"),
    ("author_following", "author.following"), ("author_verified", "author.verified"),
    ("author_location", "author.location"), ("author_description", "author.description"),
    ("author_created_at", "author.created_at"), ("lang", "lang"), ("topic", "topic"),
    ("complaint", "complaint"), ("sentiment", "sentiment"),
    ("sentiment_score", "sentiment_score"), ("needs_reply", "needs_reply"), ("spam", "spam"),
    ("priority", "priority"), ("queue", "queue"), ("source", "source"), ("text", "text"),
]  # fmt: skip
CASE_COLUMNS: list[Column] = [
    ("case_id", "case_id"), ("opened_at", "opened_at"), ("state", "state"),
    ("brand", "brand"), ("handle", "handle"), ("queue", "queue"), ("priority", "priority"),
    ("vip", "vip"), ("assignee_id", "assignee.id"), ("assignee_name", "assignee.name"),
    ("customer_id", "customer.id"), ("customer_handle", "customer.handle"),
    ("customer_name", "customer.name"), ("customer_followers", "customer.followers"),
    ("customer_following", "customer.following"), ("customer_verified", "customer.verified"),
    ("customer_location", "customer.location"),
    ("customer_description", "customer.description"), ("topic", "topic"), ("lang", "lang"),
    ("sentiment", "sentiment"), ("first_response_at", "first_response_at"),
    ("first_response_seconds", "first_response_seconds"),
    ("first_response_sla", "sla.first_response"), ("resolved_at", "resolved_at"),
    ("breached", "breached"), ("reopen_count", "reopen_count"),
]  # fmt: skip
_FREE_TEXT = frozenset(
    {"text", "author_name", "author_location", "author_description", "customer_name",
     "customer_location", "customer_description", "assignee_name"}
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def columns(request: SearchRequest) -> list[Column]:
    return TWEET_COLUMNS if request.target == "tweets" else CASE_COLUMNS


def _get(doc: dict[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _cell(header: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if header in _FREE_TEXT and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _row_writer(cols: list[Column]) -> Callable[[dict[str, Any]], list[str]]:
    def row(doc: dict[str, Any]) -> list[str]:
        return [_cell(header, _get(doc, path)) for header, path in cols]

    return row


async def export_csv(
    es: AsyncElasticsearch, prefix: str, request: SearchRequest, *, page_size: int = PAGE_SIZE
) -> AsyncIterator[bytes]:
    """The CSV (UTF-8, header first, RFC 4180 quoting) of every document matching ``request``
    (its ``size`` and ``cursor`` are ignored), in its sort order, one chunk per page.
    Raises :class:`~services.api.errors.InvalidSearchError` before the first chunk."""
    query, sort = search_query(request), search_sort(request)
    cols = columns(request)
    row = _row_writer(cols)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for header, _ in cols])
    pit = await es.open_point_in_time(index=search_index(prefix, request), keep_alive=KEEP_ALIVE)
    pit_id: str = pit["id"]
    try:
        after: list[Any] | None = None
        while True:
            response = await es.search(
                pit={"id": pit_id, "keep_alive": KEEP_ALIVE},
                query=query,
                sort=sort,
                size=page_size,
                search_after=after,
                source_includes=[path for _, path in cols],
                track_total_hits=False,
            )
            pit_id = response.get("pit_id", pit_id)
            hits = response["hits"]["hits"]
            writer.writerows(row(h["_source"]) for h in hits)
            chunk = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if chunk:
                yield chunk.encode()
            if len(hits) < page_size:
                return
            after = hits[-1]["sort"]
    finally:
        await es.close_point_in_time(id=pit_id)
