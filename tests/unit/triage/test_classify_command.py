"""`tweetcare triage classify`: JSON lines in, triage decisions out, bad lines and missing files
reported (our own sentences)."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest


def test_classify_command_reads_json_lines_and_reports_bad_ones() -> None:
    lines = b"\n".join(
        [
            orjson.dumps({"id": "a", "text": "@acme_jp 荷物が届きません。注文番号は123-4567890"}),
            b"{not json",
            orjson.dumps({"id": "b", "text": "@acme thanks!", "author": {"followers": 5000}}),
        ]
    )
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "triage", "classify"],
        input=lines, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", None, "b"]
    first = out[0]
    fields = {"lang", "topic", "complaint", "sentiment", "sentiment_score", "needs_reply", "spam"}
    fields |= {"pii", "move_to_dm", "priority", "queue", "reasons"}
    assert fields <= set(first)
    assert (first["lang"], first["topic"], first["complaint"]) == ("ja", "delivery", True)
    assert first["pii"] == ["order_number"]
    assert first["move_to_dm"] is True
    assert out[1]["line"] == 2
    assert out[2]["influence"]["tier"] == "medium"
    assert b"1 input lines were not usable" in done.stderr


@pytest.mark.parametrize("bad", ["--model /nonexistent/model", "--config /nonexistent.yaml"])
def test_classify_command_names_what_is_missing(bad: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "triage", "classify", *bad.split()],
        input=b"", capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert b"/nonexistent" in done.stderr
