"""Every index of the read model: its mappings and settings, as data, and :func:`ensure_indices`.

The one place that says how documents are indexed: ``tweetcare infra up`` (and ``infra
provision``) installs :func:`templates`, and the indexer runs :func:`ensure_indices` when it
starts, so either may come first.

The services read and write the read model through aliases (:func:`index_name`,
``tweetcare-tweets``), each pointing at one index of a generation (:func:`generation_index`,
``tweetcare-tweets-000002``), so ``tweetcare api reindex`` can build the next generation beside
the live one and switch the aliases at once. An install from before the aliases has a concrete
index under the alias name: it keeps working, and the first reindex replaces it.

The single-node distribution carries only core analysis: no kuromoji, no cjk_bigram, no ngram.
The ``standard`` tokenizer (Unicode word segmentation) splits Han and Hiragana text into single
characters and keeps Katakana runs whole, so Japanese text is indexed character by character;
``index_phrases`` also indexes adjacent pairs, which makes the phrase queries that
:mod:`services.plumbing.text.search` builds for Japanese both exact and fast. A full distribution
can add a kuromoji sub-field later without changing the queries' meaning.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from elasticsearch import AsyncElasticsearch, BadRequestError

log = logging.getLogger("tweetcare.api.readmodel")

TWEETS = "tweets"
CASES = "cases"
CASE_EVENTS = "case-events"
KINDS = (TWEETS, CASES, CASE_EVENTS)

_TEXT: dict[str, Any] = {"type": "text", "analyzer": "standard", "index_phrases": True}
_KW: dict[str, Any] = {"type": "keyword"}
_DATE: dict[str, Any] = {"type": "date", "format": "strict_date_optional_time"}

_AUTHOR: dict[str, Any] = {
    "properties": {
        "id": _KW,
        "handle": {"type": "keyword", "normalizer": "lowercase"},
        "name": _TEXT,
        "followers": {"type": "long"},
        "following": {"type": "long"},
        "verified": {"type": "boolean"},
        "description": _TEXT,
        "location": _TEXT,
        "created_at": _DATE,
    }
}

_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "refresh_interval": "1s",
    "analysis": {"normalizer": {"lowercase": {"type": "custom", "filter": ["lowercase"]}}},
}

TWEET_MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "event_id": _KW,
        "tweet_id": _KW,
        "conversation_id": _KW,
        "in_reply_to_tweet_id": _KW,
        "case_id": _KW,
        "case_key": _KW,
        "brand": _KW,
        "handle": {"type": "keyword", "normalizer": "lowercase"},
        "text": _TEXT,
        "author": _AUTHOR,
        "direction": _KW,
        "channel": _KW,
        "source": _KW,
        "lang": _KW,
        "topic": _KW,
        "complaint": {"type": "boolean"},
        "sentiment": _KW,
        "sentiment_score": {"type": "float"},
        "needs_reply": {"type": "boolean"},
        "spam": {"type": "boolean"},
        "pii": _KW,
        "priority": _KW,
        "queue": _KW,
        "hashtags": {"type": "keyword", "normalizer": "lowercase"},
        "created_at": _DATE,
        "received_at": _DATE,
        "triaged_at": _DATE,
    },
}

CASE_MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "case_id": _KW,
        "case_key": _KW,
        "case_version": {"type": "long"},
        "brand": _KW,
        "handle": {"type": "keyword", "normalizer": "lowercase"},
        "customer": _AUTHOR,
        "channel": _KW,
        "state": _KW,
        "queue": _KW,
        "priority": _KW,
        "vip": {"type": "boolean"},
        "assignee": {"properties": {"id": _KW, "name": _KW, "role": _KW}},
        "tags": _KW,
        "topic": _KW,
        "lang": _KW,
        "sentiment": _KW,
        "opened_at": _DATE,
        "updated_at": _DATE,
        "first_response_at": _DATE,
        "resolved_at": _DATE,
        "next_due_at": _DATE,
        "breached": {"type": "boolean"},
        "warned": {"type": "boolean"},
        # Derived by services.api.readmodel.documents for queues and statistics.
        "open": {"type": "boolean"},
        "last_response_at": _DATE,
        "reopen_count": {"type": "integer"},
        "first_response_seconds": {"type": "double"},
        "sla": {"properties": {"first_response": _KW, "next_response": _KW, "resolution": _KW}},
        "tweet_ids": _KW,
    },
}


CASE_EVENT_MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "event_id": _KW,
        "case_id": _KW,
        "case_key": _KW,
        "case_version": {"type": "long"},
        "occurred_at": _DATE,
        "kind": _KW,
        "clock": _KW,
        "fraction": {"type": "float"},
        "due_at": _DATE,
        "tweet_id": _KW,
        "by": {"properties": {"id": _KW, "role": _KW}},
        "outcome": {"properties": {"action_id": _KW, "status": _KW, "code": _KW}},
        "brand": _KW,
        "handle": _KW,
        "queue": _KW,
        "priority": _KW,
        "state": _KW,
        # Agents' verdicts on triage the event says (services.plumbing.agreement): nested, so
        # the agreement report counts each by its own label, queue, language and version.
        "verdicts": {
            "type": "nested",
            "properties": {
                field: _KW for field in ("label", "queue", "lang", "model_version", "verdict")
            },
        },
    },
}

MAPPINGS: dict[str, dict[str, Any]] = {
    TWEETS: TWEET_MAPPINGS,
    CASES: CASE_MAPPINGS,
    CASE_EVENTS: CASE_EVENT_MAPPINGS,
}
"""The mappings of each kind of index of the read model (rebuilt from the topics)."""

TOKENS = "tokens"
CANNED = "canned"
SAVED_SEARCHES = "saved-searches"

# The API's own small documents: not rebuilt from topics, so ``reindex`` leaves them alone.
# ``strict``: a field the code does not write is refused, so no request can add a mapping that
# breaks the next write for everyone; a saved search's body is kept whole and never indexed.
TOKEN_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": _KW,
        "hash": _KW,
        "name": _KW,
        "role": _KW,
        "created_at": _DATE,
        "revoked_at": _DATE,
    },
}
_STAMPS: dict[str, Any] = {"id": _KW, "created_by": _KW, "updated_by": _KW, "updated_at": _DATE}
CANNED_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        **_STAMPS,
        "name": _KW,
        "lang": _KW,
        "queue": _KW,
        "text": {"type": "text", "index": False},
    },
}
SAVED_SEARCH_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        **_STAMPS,
        "name": _KW,
        "search": {"type": "object", "enabled": False},
        "visibility": _KW,
        "queue": _KW,
    },
}
OWN_MAPPINGS: dict[str, dict[str, Any]] = {
    TOKENS: TOKEN_MAPPINGS,
    CANNED: CANNED_MAPPINGS,
    SAVED_SEARCHES: SAVED_SEARCH_MAPPINGS,
}
"""The mappings of the API's own indices: tokens, canned replies, saved searches."""

REFRESH: dict[str, str] = {CASES: "500ms"}
"""Refresh intervals other than 1 s: a case shows in its queue (the queue API reads this index)
within half a second of being indexed, which keeps ingest → queue under a second at p99."""


def index_name(prefix: str, kind: str) -> str:
    """The name the services read and write one index of the read model by, e.g.
    ``tweetcare-tweets``: an alias of its current generation (or, on an install from before the
    aliases, the index itself); the API's own indices (tokens, ...) are plain indices."""
    return f"{prefix}-{kind}"


def generation_index(prefix: str, kind: str, generation: int) -> str:
    """The concrete index of one generation of a read-model kind, e.g.
    ``tweetcare-tweets-000002`` (matched by the kind's template)."""
    return f"{index_name(prefix, kind)}-{generation:06d}"


def next_generation(names: Iterable[str], prefix: str, kind: str) -> int:
    """The generation after the newest of ``names`` (indices that exist) of ``kind``; 1 when
    there is none."""
    pattern = re.compile(re.escape(index_name(prefix, kind)) + r"-(\d{6})")
    found = [int(m.group(1)) for n in names if (m := pattern.fullmatch(n))]
    return max(found, default=0) + 1


STAGING = ".rebuild"


def staging_prefix(prefix: str) -> str:
    """The prefix of the aliases a rebuild in progress writes the next generation through (its
    indexer computes names from a prefix, like the live one): ``tweetcare.rebuild-tweets``.
    ``tweetcare api reindex`` makes and removes them; :func:`ensure_indices` leaves them alone."""
    return prefix + STAGING


def templates(prefix: str) -> dict[str, dict[str, Any]]:
    """Index templates by name, for ``PUT _index_template/<name>``."""
    return {
        index_name(prefix, kind): {
            "index_patterns": [f"{index_name(prefix, kind)}*"],
            "priority": 100,
            "template": {
                "settings": settings_of(kind),
                "mappings": mappings,
            },
            "_meta": {"owner": "tweetcare", "schema": 1},
        }
        for kind, mappings in {**MAPPINGS, **OWN_MAPPINGS}.items()
    }


def settings_of(kind: str) -> dict[str, Any]:
    """The index settings of ``kind``."""
    return {**_SETTINGS, "refresh_interval": REFRESH.get(kind, "1s")}


async def create_index(es: AsyncElasticsearch, prefix: str, kind: str) -> None:
    """Create the index of ``kind`` with its mappings unless it exists (another replica may
    create it first: "already exists" is fine). A read-model kind is created as its first
    generation behind its alias. Returns once the index can answer (its primary shard started,
    at most 30 s): an index another process has just created answers a search with 503 until
    then."""
    mappings = {**MAPPINGS, **OWN_MAPPINGS}[kind]
    if kind not in MAPPINGS:
        await es.options(ignore_status=400).indices.create(
            index=index_name(prefix, kind), mappings=mappings, settings=settings_of(kind)
        )
    else:
        await es.options(ignore_status=400).indices.create(
            index=generation_index(prefix, kind, 1),
            mappings=mappings,
            settings=settings_of(kind),
            aliases={index_name(prefix, kind): {"is_write_index": True}},
        )
    await es.cluster.health(index=index_name(prefix, kind), wait_for_status="yellow", timeout="30s")


async def ensure_indices(es: AsyncElasticsearch, prefix: str) -> None:
    """Install the index templates, create missing indices, and add new fields to existing ones.
    Idempotent; raises when an existing read-model mapping conflicts with the code's (an own
    index made before its mapping was explicit is logged and left as it is). With a rebuild's
    :func:`staging_prefix` it does nothing: the rebuild made its aliases and indices."""
    if prefix.endswith(STAGING):
        return
    for name, body in templates(prefix).items():
        await es.indices.put_index_template(
            name=name,
            index_patterns=body["index_patterns"],
            priority=body["priority"],
            template=body["template"],
            meta=body["_meta"],
        )
    for kind, mappings in MAPPINGS.items():
        name = index_name(prefix, kind)
        if await es.indices.exists(index=name):
            await es.indices.put_mapping(index=name, properties=mappings["properties"])
            refresh = REFRESH.get(kind, "1s")
            await es.indices.put_settings(index=name, settings={"refresh_interval": refresh})
        else:
            await create_index(es, prefix, kind)
    for kind, mappings in OWN_MAPPINGS.items():
        name = index_name(prefix, kind)
        if not await es.indices.exists(index=name):
            await create_index(es, prefix, kind)
            continue
        try:
            await es.indices.put_mapping(
                index=name, dynamic=mappings["dynamic"], properties=mappings["properties"]
            )
        except BadRequestError as exc:
            # An index made before its mapping was explicit: it keeps working as it did.
            log.warning(
                "index keeps its earlier mapping", extra={"index": name, "why": exc.message}
            )
