"""Reply tone and the conversation readers, on conversations we wrote."""

from __future__ import annotations

import bz2
import csv
import json
from pathlib import Path

import pytest

from services.triage.conversations import ConversationError, labelled, read_pairs, reply_tone


@pytest.mark.parametrize(
    ("reply", "tone"),
    [
        ("We're sorry to hear that. Please DM us your order number.", "negative"),
        ("Apologies for the wait, we are on it.", "negative"),
        ("Glad to hear the team sorted it out!", "positive"),
        ("You're welcome, enjoy your trip!", "positive"),
        ("You can change the seat under Manage booking.", "neutral"),
        ("Sorry about the delay, but glad you made it!", None),  # both: no label
        ("ご迷惑をおかけし申し訳ございません。", "negative"),
        ("嬉しいお言葉をありがとうございます！", "positive"),
        ("お問い合わせありがとうございます。DMでご連絡ください。", "neutral"),
    ],
)
def test_the_reply_says_how_the_customer_felt(reply: str, tone: str | None) -> None:
    assert reply_tone(reply) == tone


def test_labelled_keeps_customer_tweets_whose_reply_has_a_tone() -> None:
    pairs = [
        ("@acme broken again", "So sorry!"),
        ("@acme love it", "Glad you do, enjoy"),
        ("@acme ok?", "Sorry, glad to help"),
        ("   ", "Sorry"),
    ]
    assert labelled(pairs) == (["@acme broken again", "@acme love it"], ["negative", "positive"])


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_twacs_conversations_give_the_first_turns(tmp_path: Path) -> None:
    rows = [
        {
            "first_tweet_id": "1",
            "tag": "DELAY",
            "first_utterance": "<cust__  __company__  my flight is late again __cust>",
            "context": "<rep__  __cust__  Sorry about that. *AB __rep> <cust__  ok __cust>",
        },
        {
            "first_tweet_id": "2",
            "tag": "UNK",
            "first_utterance": "<cust__ hi __cust>",
            "context": "",
        },
    ]
    plain = tmp_path / "twacs.csv"
    _write_csv(plain, rows)
    packed = tmp_path / "twacs.csv.bz2"
    packed.write_bytes(bz2.compress(plain.read_bytes()))
    expected = [("@brand my flight is late again", "@brand Sorry about that. *AB")]
    assert read_pairs(plain) == expected
    assert read_pairs(packed) == expected


def test_twcs_threads_pair_a_customer_tweet_with_the_brand_answer(tmp_path: Path) -> None:
    rows = [
        {"tweet_id": "1", "inbound": "True", "text": "@Acme app down", "response_tweet_id": "3,2"},
        {"tweet_id": "2", "inbound": "False", "text": "Sorry! Try now", "response_tweet_id": ""},
        {"tweet_id": "3", "inbound": "True", "text": "@Acme me too", "response_tweet_id": ""},
        {"tweet_id": "4", "inbound": "True", "text": "@Acme hello?", "response_tweet_id": "99"},
    ]
    path = tmp_path / "twcs.csv"
    _write_csv(path, rows)
    assert read_pairs(path) == [("@Acme app down", "Sorry! Try now")]


def test_ibm_dialogs_pair_each_client_turn_with_the_agent_answer(tmp_path: Path) -> None:
    dialog = {
        "dialogHeader": {"company": "Acme"},
        "dialogContent": [
            {"client": "c1", "message": "@Acme my bill doubled"},
            {"agent": "AcmeHelp", "message": "We apologise, DM us"},
            {"client": "c1", "message": "done"},
        ],
    }
    path = tmp_path / "ibm.json"
    path.write_text(json.dumps([dialog, "not a dialog"]))
    assert read_pairs(path) == [("@Acme my bill doubled", "We apologise, DM us")]


def test_other_files_are_refused_with_the_formats_that_work(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    _write_csv(path, [{"text": "hi", "complaint": "0"}])
    with pytest.raises(ConversationError, match="TwACS columns"):
        read_pairs(path)
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    with pytest.raises(ConversationError, match="cannot read"):
        read_pairs(broken)
    with pytest.raises(ConversationError, match="cannot read"):
        read_pairs(tmp_path / "missing.csv")
