"""The JSON Schema of every topic, exported from the models (what `tweetcare schemas` writes).

The committed files in ``schemas/`` are the contract; a test fails when models and files differ,
so a change to the wire format is always a deliberate, reviewed change to ``schemas/``.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter

from services.plumbing.contracts.codecs import CODECS, DEAD_LETTERS

BASE_ID = "https://tweetcare.dev/schemas"
DEAD_LETTER_FOLDER = "dead-letter"

_DESCRIPTIONS = {
    "tweets.raw": "One tweet or DM event, normalised from any source by ingest.",
    "tweets.triaged": "A tweet with triage's decisions (language, topic, priority, queue, ...).",
    "agent.actions": "What an agent asks to do to a case (claim, reply, resolve, ...).",
    "cases.events": "A change to one case, with the whole case after it.",
    "outbox.replies": "A reply the brand will post on X, at most once per reply_id.",
    "outbox.results": "What became of one outbox reply: posted or failed.",
    DEAD_LETTER_FOLDER: "A message a consumer could not use, kept whole with the reason.",
}


def folders() -> dict[str, TypeAdapter[Any]]:
    """Each folder of ``schemas/`` (a topic, or the dead-letter envelope) and its model."""
    found: dict[str, TypeAdapter[Any]] = {t: c.adapter for t, c in CODECS.items()}
    found[DEAD_LETTER_FOLDER] = DEAD_LETTERS.adapter
    return found


def schema(folder: str, version: int = 1) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of what ``folder``'s events look like on the wire."""
    body = folders()[folder].json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_ID}/{folder}/v{version}.schema.json",
        "title": f"{folder} v{version}",
        "description": _DESCRIPTIONS[folder],
        **{k: v for k, v in body.items() if k not in ("title", "description")},
    }


def render(document: dict[str, Any]) -> bytes:
    """Stable text for a schema file: sorted keys, two-space indent, trailing newline."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
