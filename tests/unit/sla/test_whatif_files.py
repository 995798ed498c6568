"""Backtests of a TWCS and an IBM file (ours, and the shared real ones) agree, case by case, with
first-response times computed here independently from the files' own reply links; so do the
breach counts under 60 minutes 24/7."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.cli import main
from tests.fixtures import ReplayFiles

HOUR = 3600.0


def _backtest(path: Path, fmt: str, tmp: Path) -> tuple[dict[str, float | None], dict[str, Any]]:
    out, cases = tmp / "report.json", tmp / "cases.csv"
    status = main(
        ["sla", "backtest", "--input", str(path), "--format", fmt,
         "--target", "first_response=60m", "--out", str(out), "--cases-out", str(cases)]
    )  # fmt: skip
    assert status == 0
    with cases.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:  # the breach column agrees with the time on every row
        seconds = row["first_response_seconds"]
        assert row["first_response_breached"] == str(not seconds or float(seconds) > HOUR).lower()
    times = {
        r["opening_tweet_id"]: float(r["first_response_seconds"]) if r["first_response_seconds"]
        else None
        for r in rows
    }  # fmt: skip
    return times, json.loads(out.read_text())


def _breaches(expected: dict[str, float | None]) -> int:
    return sum(1 for s in expected.values() if s is None or s > HOUR)


def _twcs_expected(path: Path) -> tuple[dict[str, float | None], set[str]]:
    """Per conversation (root of the reply links) and customer: the customer's first tweet, and
    the first brand tweet in the conversation that replies to that customer. Conversations whose
    tweets address several brands at once are left out (ingest gives each tweet one brand)."""
    with path.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    by_id = {r["tweet_id"]: r for r in rows}
    brands = {r["author_id"].lower() for r in rows if r["inbound"] == "False"}

    def when(r: dict[str, str]) -> datetime:
        return datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y")

    def root(r: dict[str, str]) -> str:
        seen = set()
        while r["in_response_to_tweet_id"] in by_id and r["tweet_id"] not in seen:
            seen.add(r["tweet_id"])
            r = by_id[r["in_response_to_tweet_id"]]
        return r["tweet_id"]

    conversations: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        conversations.setdefault(root(r), []).append(r)
    expected: dict[str, float | None] = {}
    left_out: set[str] = set()
    for thread in conversations.values():
        if any(len({m.lower() for m in re.findall(r"@(\w+)", r["text"])} & brands) > 1
               for r in thread):  # fmt: skip
            left_out.update(r["tweet_id"] for r in thread)
            continue
        thread.sort(key=lambda r: (when(r), int(r["tweet_id"])))
        openers: dict[str, dict[str, str]] = {}
        for r in thread:
            if r["inbound"] == "True":
                openers.setdefault(r["author_id"], r)
        for customer, first in openers.items():
            answer = next(
                (r for r in thread
                 if r["inbound"] == "False" and when(r) >= when(first)
                 and by_id.get(r["in_response_to_tweet_id"], {}).get("author_id") == customer),
                None,
            )  # fmt: skip
            expected[first["tweet_id"]] = (
                (when(answer) - when(first)).total_seconds() if answer else None
            )
    return expected, left_out


def test_twcs_backtest_matches_the_reply_links(replay_files: ReplayFiles, tmp_path: Path) -> None:
    expected, left_out = _twcs_expected(replay_files.twcs)
    got, report = _backtest(replay_files.twcs, "twcs", tmp_path)
    compared = {k: v for k, v in got.items() if k not in left_out}
    assert len(expected) >= replay_files.twcs_cases
    assert compared == expected
    # only the multi-brand threads differ
    assert sum(1 for k in got if k in left_out) < replay_files.twcs_multi_brand
    in_report = report["breaches"]["first_response"]
    assert in_report == _breaches(expected) + _breaches(
        {k: v for k, v in got.items() if k in left_out}
    )


def _snowflake(tweet_id: str) -> datetime:
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + 1288834974657) / 1000, UTC)


def test_ibm_backtest_matches_the_conversations(replay_files: ReplayFiles, tmp_path: Path) -> None:
    conversations = json.loads(replay_files.ibm.read_text(encoding="utf-8"))
    expected: dict[str, float | None] = {}
    for conversation in conversations:
        turns = conversation["dialogContent"]
        clients = [t for t in turns if "agent" not in t]
        if not clients:
            continue
        opened = datetime.fromisoformat(clients[0]["datetime"].replace("Z", "+00:00"))
        agent_times = [
            datetime.fromisoformat(t["datetime"].replace("Z", "+00:00"))
            for t in turns
            if "agent" in t
        ]
        answered = next((a for a in agent_times if a >= opened), None)
        final = (conversation.get("agentURL") or {}).get("tweet_ID")
        if answered is None and final:
            answered = _snowflake(final)
        expected[clients[0]["tweet_ID"]] = (
            round((answered - opened).total_seconds(), 3) if answered else None
        )
    got, report = _backtest(replay_files.ibm, "ibm", tmp_path)
    assert len(expected) >= replay_files.ibm_cases
    assert got == expected
    assert report["breaches"]["first_response"] == _breaches(expected)
    assert report["cases"] == len(expected)
