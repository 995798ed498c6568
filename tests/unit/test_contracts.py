"""The contracts of schemas/: examples, JSON Schemas, models and codecs agree."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from services.plumbing.contracts.codecs import (
    AGENT_ACTIONS,
    CASES_EVENTS,
    CODECS,
    DEAD_LETTERS,
    OUTBOX_REPLIES,
    TWEETS_RAW,
    Codec,
    EventValidationError,
    dead_letter,
)
from services.plumbing.contracts.deadletter import DeadLetterReason
from services.plumbing.contracts.export import DEAD_LETTER_FOLDER, folders, render, schema
from services.plumbing.settings import REPO_ROOT

SCHEMAS = REPO_ROOT / "schemas"
ALL_CODECS: dict[str, Codec[Any]] = {**CODECS, DEAD_LETTER_FOLDER: DEAD_LETTERS}


def _validator(folder: str) -> Draft202012Validator:
    document = json.loads((SCHEMAS / folder / "v1.schema.json").read_text())
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document, format_checker=FormatChecker())


EXAMPLES = sorted(SCHEMAS.glob("*/examples/*.json"))


def test_every_topic_has_description_schema_and_examples() -> None:
    assert set(folders()) == set(ALL_CODECS)
    for folder in ALL_CODECS:
        assert (SCHEMAS / folder / "README.md").is_file(), folder
        assert (SCHEMAS / folder / "v1.schema.json").is_file(), folder
        assert len(list((SCHEMAS / folder / "examples").glob("*.json"))) >= 2, folder


@pytest.mark.parametrize("folder", sorted(ALL_CODECS))
def test_committed_schema_equals_the_models(folder: str) -> None:
    committed = (SCHEMAS / folder / "v1.schema.json").read_bytes()
    assert committed == render(schema(folder)), "run `tweetcare schemas export` deliberately"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_example_is_schema_valid_and_decodes_back_to_itself(path: Path) -> None:
    folder = path.parent.parent.name
    doc = json.loads(path.read_text())
    errors = [e.message for e in _validator(folder).iter_errors(doc)]
    assert errors == []
    codec = ALL_CODECS[folder]
    event = codec.decode(path.read_bytes())
    # What the model makes of it is schema-valid too, and is the same document.
    again = json.loads(codec.encode(event))
    assert list(_validator(folder).iter_errors(again)) == []
    assert again == doc


def test_action_examples_cover_every_kind() -> None:
    kinds = {json.loads(p.read_text())["kind"] for p in SCHEMAS.glob("agent.actions/examples/*")}
    union = AGENT_ACTIONS.adapter.json_schema()["discriminator"]["mapping"]
    assert kinds == set(union)


def _example(folder: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SCHEMAS / folder / "examples" / f"{name}.json").read_text())
    return doc


def _raw() -> dict[str, Any]:
    return _example("tweets.raw", "mention-ja")


def _with(doc: dict[str, Any], **changes: Any) -> bytes:
    return json.dumps({**doc, **changes}).encode()


def _without(doc: dict[str, Any], field: str) -> bytes:
    return json.dumps({k: v for k, v in doc.items() if k != field}).encode()


MALFORMED: list[tuple[str, Codec[Any], bytes, DeadLetterReason, str]] = [
    ("not json", TWEETS_RAW, b"{tweet_id: 1", DeadLetterReason.UNDECODABLE, "not JSON"),
    ("empty", TWEETS_RAW, b"", DeadLetterReason.UNDECODABLE, "not JSON"),
    ("not an object", TWEETS_RAW, b"[1, 2]", DeadLetterReason.SCHEMA_VIOLATION, "$"),
    (
        "id as number",
        TWEETS_RAW,
        _with(_raw(), tweet_id=17),
        DeadLetterReason.SCHEMA_VIOLATION,
        "tweet_id",
    ),
    (
        "missing field",
        TWEETS_RAW,
        _without(_raw(), "case_key"),
        DeadLetterReason.SCHEMA_VIOLATION,
        "case_key",
    ),
    (
        "unknown version",
        TWEETS_RAW,
        _with(_raw(), version=2),
        DeadLetterReason.UNKNOWN_VERSION,
        "version 2",
    ),
    (
        "naive time",
        TWEETS_RAW,
        _with(_raw(), created_at="2026-11-22T01:14:07"),
        DeadLetterReason.SCHEMA_VIOLATION,
        "created_at",
    ),
    (
        "bad enum",
        TWEETS_RAW,
        _with(_raw(), direction="sideways"),
        DeadLetterReason.SCHEMA_VIOLATION,
        "direction",
    ),
    (
        "unknown field",
        TWEETS_RAW,
        _with(_raw(), retweets=3),
        DeadLetterReason.SCHEMA_VIOLATION,
        "retweets",
    ),
    (
        "bad case key",
        TWEETS_RAW,
        _with(_raw(), case_key="acme"),
        DeadLetterReason.SCHEMA_VIOLATION,
        "case_key",
    ),
    (
        "unknown action",
        AGENT_ACTIONS,
        _with(_example("agent.actions", "claim"), kind="delete"),
        DeadLetterReason.SCHEMA_VIOLATION,
        "kind",
    ),
    (
        "public reply without target",
        OUTBOX_REPLIES,
        _with(_example("outbox.replies", "public-ja"), in_reply_to_tweet_id=None),
        DeadLetterReason.SCHEMA_VIOLATION,
        "in_reply_to_tweet_id",
    ),
    (
        "version goes back",
        CASES_EVENTS,
        _with(_example("cases.events", "claimed"), case_version=0),
        DeadLetterReason.SCHEMA_VIOLATION,
        "case_version",
    ),
]


@pytest.mark.parametrize(
    ("codec", "data", "reason_code", "named"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_message_is_a_validation_error_with_the_reason(
    codec: Codec[Any], data: bytes, reason_code: DeadLetterReason, named: str
) -> None:
    with pytest.raises(EventValidationError) as caught:
        codec.decode(data)
    assert caught.value.reason_code == reason_code
    assert named in caught.value.reason
    assert caught.value.topic == codec.topic


@pytest.mark.parametrize(
    ("data", "encoding", "payload"),
    [
        (b'{"version": 1}', "utf-8", '{"version": 1}'),
        (b"\xff\xfe\x00binary", "base64", "//4AYmluYXJ5"),
    ],
)
def test_dead_letter_keeps_the_message_whole(data: bytes, encoding: str, payload: str) -> None:
    with pytest.raises(EventValidationError) as caught:
        TWEETS_RAW.decode(data)
    letter = dead_letter(
        caught.value,
        topic="tweets.raw",
        partition=3,
        offset=42,
        key=b"acme:98234712",
        value=data,
        consumer="triage",
        now=datetime.fromisoformat("2026-11-22T03:00:00.123456+09:00"),
    )
    assert (letter.payload_encoding, letter.payload) == (encoding, payload)
    assert (letter.source_topic, letter.partition, letter.offset) == ("tweets.raw", 3, 42)
    assert letter.key == "acme:98234712"
    assert letter.reason_code == caught.value.reason_code
    wire = json.loads(DEAD_LETTERS.encode(letter))
    assert wire["failed_at"] == "2026-11-21T18:00:00.123Z"
    assert list(_validator(DEAD_LETTER_FOLDER).iter_errors(wire)) == []
    assert DEAD_LETTERS.decode(DEAD_LETTERS.encode(letter)) == letter


def test_schema_rejects_what_the_codec_rejects_for_reply_channels() -> None:
    doc = _example("outbox.replies", "dm-en")
    doc.pop("dm_recipient_id")
    assert list(_validator("outbox.replies").iter_errors(doc)) != []
    with pytest.raises(EventValidationError):
        OUTBOX_REPLIES.decode(json.dumps(doc).encode())
