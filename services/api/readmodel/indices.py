"""Elasticsearch index templates of the read model, as data (provisioned by `tweetcare infra`).

The single-node distribution carries only core analysis: no kuromoji, no cjk_bigram, no ngram.
The ``standard`` tokenizer (Unicode word segmentation) splits Han and Hiragana text into single
characters and keeps Katakana runs whole, so Japanese text is indexed character by character;
``index_phrases`` also indexes adjacent pairs, which makes the phrase queries that
:mod:`services.plumbing.search_text` builds for Japanese both exact and fast. A full distribution
can add a kuromoji sub-field later without changing the queries' meaning.
"""

from __future__ import annotations

from typing import Any

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


def index_name(prefix: str, kind: str) -> str:
    """The name of one index of the read model, e.g. ``tweetcare-tweets``."""
    return f"{prefix}-{kind}"


def templates(prefix: str) -> dict[str, dict[str, Any]]:
    """Index templates by name, for ``PUT _index_template/<name>``."""
    return {
        f"{prefix}-{kind}": {
            "index_patterns": [f"{prefix}-{kind}*"],
            "priority": 100,
            "template": {"settings": _SETTINGS, "mappings": mappings},
            "_meta": {"owner": "tweetcare", "schema": 1},
        }
        for kind, mappings in (("tweets", TWEET_MAPPINGS), ("cases", CASE_MAPPINGS))
    }
