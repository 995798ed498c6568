"""Unlabelled conversations as training signal: how the brand answered says how the customer felt.

A brand's reply that apologises answers an unhappy customer; one that is glad to hear answers a
happy one; one that does neither mostly answers a question. ``reply_tone`` reads that from the
reply (cues in :mod:`services.triage.lexicon`), so every archived conversation labels its
customer tweet for free: distant supervision. ``model.train_tone`` learns it, and the trained
labels use the learned tone as three more features. Noisy labels, but many, and in the brand's
own domain: on airline_sentiment_train.csv (5-fold CV) the tone learned from the TwACS airline
conversations lifted sentiment macro-F1 by about 0.004 over the valence features alone.

Readers take the conversation files the project knows: TwACS (``first_utterance``/``context``
with ``<cust__ ... __cust>`` and ``<rep__ ... __rep>`` turns, optionally ``.bz2``), TWCS (tweets
with ``inbound`` and ``response_tweet_id``) and IBM's JSON dialogs.
"""

from __future__ import annotations

import bz2
import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from services.triage import lexicon

Pair = tuple[str, str]  # (customer text, the brand's first answer)
TONES = ("negative", "neutral", "positive")

_CUST = re.compile(r"<cust__(.*?)__cust>", re.S)
_REP = re.compile(r"<rep__(.*?)__rep>", re.S)
_PLACEHOLDERS = re.compile(r"__(company|cust)__")


class ConversationError(ValueError):
    """A conversation file cannot be read; the message says why and which formats work."""


def _cues(lang_terms: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    english = "|".join(re.escape(t) for t in lang_terms["en"])
    japanese = "|".join(re.escape(t) for t in lang_terms["ja"])
    return re.compile(rf"\b(?:{english})|{japanese}", re.I)


_APOLOGY = _cues(lexicon.REPLY_APOLOGY)
_GLAD = _cues(lexicon.REPLY_GLAD)


def reply_tone(reply: str) -> str | None:
    """What a brand's reply says of the tweet it answers: ``negative`` (it apologises),
    ``positive`` (it is glad), ``neutral`` (neither) or None (both: no label)."""
    sorry, glad = bool(_APOLOGY.search(reply)), bool(_GLAD.search(reply))
    if sorry and glad:
        return None
    return "negative" if sorry else "positive" if glad else "neutral"


def labelled(pairs: list[Pair]) -> tuple[list[str], list[str]]:
    """The customer texts of ``pairs`` whose reply has a tone, and that tone."""
    texts, tones = [], []
    for customer, reply in pairs:
        tone = reply_tone(reply)
        if tone is not None and customer.strip():
            texts.append(customer)
            tones.append(tone)
    return texts, tones


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".bz2":
        return io.TextIOWrapper(bz2.open(path, "rb"), encoding="utf-8", newline="")
    return io.TextIOWrapper(path.open("rb"), encoding="utf-8", newline="")


def _clean(turn: str) -> str:
    return " ".join(_PLACEHOLDERS.sub("@brand", turn).split())


def _twacs(rows: Iterator[dict[str, str]]) -> Iterator[Pair]:
    for row in rows:
        customer = _CUST.findall(row.get("first_utterance") or "")
        replies = _REP.findall(row.get("context") or "")
        if customer and replies:
            yield _clean(customer[0]), _clean(replies[0])


def _twcs(rows: Iterator[dict[str, str]]) -> Iterator[Pair]:
    tweets = {row["tweet_id"]: row for row in rows}
    for row in tweets.values():
        if row.get("inbound") != "True":
            continue
        for reply_id in (row.get("response_tweet_id") or "").split(","):
            reply = tweets.get(reply_id.strip())
            if reply is not None and reply.get("inbound") == "False":
                yield row["text"], reply["text"]
                break


def _ibm(dialogs: list[Any]) -> Iterator[Pair]:
    for dialog in dialogs:
        turns = (dialog.get("dialogContent") or []) if isinstance(dialog, dict) else []
        for turn, answer in itertools.pairwise(turns):
            if "client" in turn and "agent" in answer:  # each turn names its speaker's role
                yield turn.get("message") or "", answer.get("message") or ""


def read_pairs(path: Path) -> list[Pair]:
    """Every (customer tweet, first brand answer) of a TwACS, TWCS or IBM conversation file."""
    try:
        with _open_text(path) as stream:
            if path.name.endswith((".json", ".json.bz2")):
                return list(_ibm(json.load(stream)))
            reader = csv.DictReader(stream)
            columns = set(reader.fieldnames or [])
            if {"first_utterance", "context"} <= columns:
                return list(_twacs(reader))
            if {"tweet_id", "inbound", "text", "response_tweet_id"} <= columns:
                return list(_twcs(reader))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error, EOFError) as exc:
        raise ConversationError(f"{path}: cannot read conversations: {exc}") from exc
    raise ConversationError(
        f"{path}: not a conversation file: expected TwACS columns (first_utterance, context), "
        f"TWCS columns (tweet_id, inbound, text, response_tweet_id) or IBM dialog JSON"
    )
