"""Triage measured on the shared real data (the ``shared_data`` tier): thresholds the issue sets
for the untrained rules, and the conversation readers on the real files. A model trained on real
complaints is tested in test_model.py, beside ours; the behaviours here are checked on our own
sentences elsewhere in tests/unit/triage."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from sklearn.metrics import f1_score

from services.triage.classify import TweetFacts, classify_batch
from services.triage.config import TriageConfig
from services.triage.conversations import labelled, read_pairs
from services.triage.datasets import read_labelled
from services.triage.lang import detect

_KANA = re.compile(r"[\u3040-\u30ff]")
_WORDY = re.compile(r"[A-Za-z]{2,}")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_rules_complaint_macro_f1_at_least_070(data_dir: Path) -> None:
    texts, labels = read_labelled(data_dir / "complaints_train.csv")
    triages = classify_batch(
        [TweetFacts(id=str(i), text=t) for i, t in enumerate(texts)], TriageConfig()
    )
    predicted = ["1" if t.complaint else "0" for t in triages]
    assert f1_score(labels["complaint"], predicted, average="macro") >= 0.70


@pytest.mark.parametrize("prefix", ["", "@acme_jp "])
def test_japanese_complaints_are_complaints_needing_a_reply_addressed_or_not(
    data_dir: Path, prefix: str
) -> None:
    # The product path: the `classify` command, as active support's keyword tweets (no
    # @-mention) and as mentions. Every row of the file is a complaint.
    texts = [r["text"] for r in _rows(data_dir / "ja_complaints_train.csv")]
    lines = b"\n".join(orjson.dumps({"id": i, "text": prefix + t}) for i, t in enumerate(texts))
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "triage", "classify"],
        input=lines, capture_output=True, timeout=300, check=True,
    )  # fmt: skip
    out = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == len(texts)
    assert sum(o["complaint"] for o in out) / len(out) >= 0.85
    assert sum(o["needs_reply"] for o in out) / len(out) >= 0.85


def test_language_id_at_least_99_percent_on_english_and_japanese(data_dir: Path) -> None:
    english = [
        r["text"]
        for r in _rows(data_dir / "airline_sentiment_train.csv")
        if _WORDY.search(re.sub(r"https?://\S+|[@#]\w+", "", r["text"]))
    ]
    japanese = [r["text"] for r in _rows(data_dir / "twcs_sample.csv") if _KANA.search(r["text"])]
    japanese += [r["text"] for r in _rows(data_dir / "ja_complaints_train.csv")]
    assert sum(detect(t)[0] == "en" for t in english) / len(english) >= 0.99
    assert sum(detect(t)[0] == "ja" for t in japanese) / len(japanese) >= 0.99


def test_the_three_conversation_files_give_customer_tweets_with_a_tone(data_dir: Path) -> None:
    found = {
        name: labelled(read_pairs(data_dir / name))
        for name in (
            "twacs_airline_intents.csv.bz2",
            "twcs_sample.csv",
            "ibm_conversations_dev.json",
        )
    }
    texts, tones = found["twacs_airline_intents.csv.bz2"]
    assert len(texts) > 40_000
    share = {tone: tones.count(tone) / len(tones) for tone in set(tones)}
    assert share["neutral"] > share["negative"] > share["positive"] > 0.1
    assert len(found["twcs_sample.csv"][0]) > 2_000
    assert set(found["ibm_conversations_dev.json"][1]) == {"negative", "neutral"}
    assert all(t.strip() and "__cust" not in t for t in texts)
