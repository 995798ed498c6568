"""Bad input loses nothing and stops nothing: each malformed row or tweet is rejected with a clear
reason (for the dead-letter topic) while the rest goes on — from files and from X's payloads.

Invalid UTF-8, empty text, 10,000-character text, unknown fields and missing authors, each in
each format. Our own words, never text from ../shared/data."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.ingest.brands import BrandMap
from services.ingest.rejects import Rejected
from services.ingest.replay import FileFormat, load_events
from services.ingest.xapi.sink import page_tweet_events
from services.plumbing.contracts.tweets import Source, TweetEvent

BRANDS = BrandMap.from_pairs(["AcmeHelp=acme"])
LONG = "a" * 10_000
TOO_LONG = "a" * 10_001

# -- TWCS CSV ---------------------------------------------------------------------------------
HEADER = b"tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id"


def _twcs_row(
    tweet_id: str, author: str, text: bytes, extra: bytes = b"", parent: bytes = b""
) -> bytes:
    return (
        tweet_id.encode()
        + b","
        + author.encode()
        + b",True,Tue Nov 10 09:00:0"
        + tweet_id[-1:].encode()
        + b' +0000 2026,"'
        + text
        + b'",,'
        + parent
        + extra
    )


BRAND_ROW = _twcs_row("100", "AcmeHelp", b"Hello from Acme")


@pytest.mark.parametrize(
    ("case", "row", "reason"),
    [
        (
            "invalid utf-8",
            _twcs_row("102", "4001", b"@AcmeHelp bad \xff\xfe bytes"),
            "not valid UTF-8",
        ),
        ("empty text", _twcs_row("103", "4002", b"", parent=b"100"), "text is empty"),
        (
            "text over 10,000",
            _twcs_row("104", "4003", b"@AcmeHelp " + TOO_LONG.encode()),
            "more than 10,000",
        ),
        ("missing author", _twcs_row("105", "", b"@AcmeHelp who am I"), "author_id is missing"),
    ],
)
def test_twcs_bad_rows_are_rejected_and_the_file_goes_on(
    tmp_path: Path, case: str, row: bytes, reason: str
) -> None:
    good = _twcs_row("101", "4000", b"@AcmeHelp my parcel is late")
    after = _twcs_row("109", "4009", b"@AcmeHelp still here")
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n".join([HEADER, BRAND_ROW, good, row, after]) + b"\n")
    rejects: list[Rejected] = []
    events = load_events(path, FileFormat.TWCS, ["AcmeHelp=acme"], rejects)
    assert [e.tweet_id for e in events] == ["100", "101", "109"], case
    assert len(rejects) == 1
    assert reason in rejects[0].reason
    assert rejects[0].payload()  # the original is kept for the dead-letter topic


def test_twcs_invalid_utf8_is_kept_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n".join([HEADER, _twcs_row("102", "4001", b"@AcmeHelp x \xff y")]) + b"\n")
    rejects: list[Rejected] = []
    load_events(path, FileFormat.TWCS, ["AcmeHelp=acme"], rejects)
    assert b"x \xff y" in rejects[0].payload()


def test_twcs_text_of_10000_characters_and_unknown_columns_pass(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    header = HEADER + b",future_column"
    path.write_bytes(
        b"\n".join([header, _twcs_row("101", "4000", b"@AcmeHelp " + LONG[10:].encode(), b",zzz")])
        + b"\n"
    )
    rejects: list[Rejected] = []
    events = load_events(path, FileFormat.TWCS, ["AcmeHelp=acme"], rejects)
    assert rejects == []
    assert len(events[0].text) == 10_000


def test_without_a_rejects_list_a_bad_row_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n".join([HEADER, _twcs_row("105", "", b"@AcmeHelp hi")]) + b"\n")
    with pytest.raises(ValueError, match="TWCS line 2: author_id is missing"):
        load_events(path, FileFormat.TWCS, ["AcmeHelp=acme"])


# -- X API v2: saved files and live payloads --------------------------------------------------
USERS = [{"id": "501", "username": "mika_t", "name": "Mika", "verified": False}]


def _tweet(tweet_id: str, text: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": tweet_id,
        "author_id": "501",
        "created_at": "2026-11-22T04:59:58.000Z",
        "text": text,
        "entities": {"mentions": [{"username": "AcmeHelp"}]},
        **fields,
    }


BAD_X = [
    (
        "invalid utf-8",
        _tweet("1861000000000000102", "@AcmeHelp bad \udcff bytes"),
        "not valid UTF-8",
    ),
    ("empty text", _tweet("1861000000000000103", ""), "text is empty"),
    (
        "text over 10,000",
        _tweet("1861000000000000104", "@AcmeHelp " + TOO_LONG),
        "more than 10,000",
    ),
    (
        "missing author",
        {
            k: v
            for k, v in _tweet("1861000000000000105", "@AcmeHelp hi").items()
            if k != "author_id"
        },
        "lacks 'author_id'",
    ),
]


class RecordingSink:
    def __init__(self) -> None:
        self.published: list[TweetEvent] = []
        self.rejected: list[tuple[Mapping[str, Any], str]] = []

    def publish(self, events: Sequence[TweetEvent]) -> None:
        self.published.extend(events)

    def reject(self, payload: Mapping[str, Any], reason: str) -> None:
        self.rejected.append((payload, reason))


@pytest.mark.parametrize(("case", "bad", "reason"), BAD_X)
def test_live_payload_bad_tweet_is_rejected_and_its_page_goes_on(
    case: str, bad: dict[str, Any], reason: str
) -> None:
    good = _tweet("1861000000000000101", "@AcmeHelp my parcel is late")
    page = {"data": [good, bad], "includes": {"users": USERS}}
    sink = RecordingSink()
    events = page_tweet_events(
        page, BRANDS, sink, received_at=datetime.now(UTC), source=Source.X_STREAM
    )
    assert [e.tweet_id for e in events] == ["1861000000000000101"], case
    assert len(sink.rejected) == 1
    assert reason in sink.rejected[0][1]


@pytest.mark.parametrize(("case", "bad", "reason"), BAD_X)
def test_saved_x_file_bad_tweet_is_rejected_and_the_file_goes_on(
    tmp_path: Path, case: str, bad: dict[str, Any], reason: str
) -> None:
    good = _tweet("1861000000000000101", "@AcmeHelp my parcel is late")
    lines = [
        json.dumps({"data": good, "includes": {"users": USERS}}),
        json.dumps({"data": bad, "includes": {"users": USERS}}),
        "{not json",
    ]
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(lines) + "\n", errors="surrogatepass")
    rejects: list[Rejected] = []
    events = load_events(path, FileFormat.X_V2, ["AcmeHelp=acme"], rejects)
    assert [e.tweet_id for e in events] == ["1861000000000000101"], case
    reasons = [r.reason for r in rejects]
    assert len(reasons) == 2
    assert any(reason in r for r in reasons)
    assert any("line 3" in r for r in reasons)


def test_unknown_fields_pass_and_an_author_missing_from_includes_keeps_the_id() -> None:
    tweet = _tweet(
        "1861000000000000106",
        "@AcmeHelp hello",
        author_id="777",
        edit_history_tweet_ids=["1861000000000000106"],
        some_future_field={"x": 1},
    )
    sink = RecordingSink()
    events = page_tweet_events(
        {"data": [tweet], "includes": {"users": USERS}, "future": True},
        BRANDS,
        sink,
        received_at=datetime.now(UTC),
        source=Source.X_STREAM,
    )
    assert sink.rejected == []
    assert events[0].author.id == "777"
    assert events[0].author.handle == "777"
    long = page_tweet_events(
        {
            "data": [_tweet("1861000000000000107", "@AcmeHelp " + LONG[10:])],
            "includes": {"users": USERS},
        },
        BRANDS,
        sink,
        received_at=datetime.now(UTC),
        source=Source.X_STREAM,
    )
    assert len(long[0].text) == 10_000


# -- IBM conversation JSON --------------------------------------------------------------------
def _turn(tweet_id: str, who: str, text: str) -> dict[str, Any]:
    return {
        "tweet_ID": tweet_id,
        who: "kumi" if who != "agent" else "AcmeHelp",
        "datetime": "2026-11-22T05:00:00Z",
        "message": text,
    }


def test_ibm_bad_conversation_and_bad_turn_are_rejected_and_the_rest_goes_on(
    tmp_path: Path,
) -> None:
    convs = [
        {
            "dialogHeader": {"company": "AcmeHelp"},
            "dialogContent": [
                _turn("1861000000000000201", "client", "my parcel is late"),
                _turn("1861000000000000202", "client", ""),  # empty text: the turn is rejected
                _turn("1861000000000000203", "agent", "Sorry! Checking."),
            ],
        },
        {"dialogHeader": {}, "dialogContent": []},  # no company: the conversation is rejected
        {
            "dialogHeader": {"company": "AcmeHelp"},
            "dialogContent": [
                {
                    "tweet_ID": "1861000000000000301",
                    "datetime": "2026-11-22T05:00:00Z",
                    "message": "?",
                },
            ],
        },  # a turn with no speaker: the conversation is rejected
    ]
    path = tmp_path / "ibm.json"
    path.write_text(json.dumps(convs))
    rejects: list[Rejected] = []
    events = load_events(path, FileFormat.IBM, ["AcmeHelp=acme"], rejects)
    assert [e.tweet_id for e in events] == ["1861000000000000201", "1861000000000000203"]
    assert sorted(r.where for r in rejects) == [
        "conversation 2",
        "conversation 3",
        "tweet 1861000000000000202",
    ]
