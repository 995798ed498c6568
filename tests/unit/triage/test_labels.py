"""Labels from the case history: which agent decision wins, table by table (our own words)."""

from __future__ import annotations

import argparse
import csv
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from services.plumbing.contracts.actions import Verdict
from services.plumbing.contracts.cases import Case, CaseEvent, Change, ChangeKind, Correction
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.tweets import Author, Sentiment, Topic, TriagedTweet
from services.triage.cli_labels import since_date
from services.triage.datasets import read_datasets
from services.triage.labels import COLUMNS, Signal, label_rows, referenced, selected, winner
from tests.factories.readmodel import AGENT, T0, at, case, triaged_tweet

BRAND = Author(id="9000", handle="acme_jp", followers=50_000)


def _signal(source: str, value: str, minutes: float) -> Signal:
    return Signal("t-1", "needs_reply", value, source, at(minutes), "agent-a")


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        ([], None),
        ([("replied", "1", 0)], ("replied", "1")),
        # explicit before implicit, whatever the order in time
        ([("corrected", "0", 0), ("opened_by_hand", "1", 5)], ("corrected", "0")),
        ([("opened_by_hand", "1", 0), ("corrected", "0", 5)], ("corrected", "0")),
        # an action before a reply's tone
        ([("replied", "1", 9), ("no_reply", "0", 1)], ("no_reply", "0")),
        # equal rank: the latest (the agent changed their mind)
        ([("opened_by_hand", "1", 0), ("no_reply", "0", 3)], ("no_reply", "0")),
        ([("no_reply", "0", 0), ("opened_by_hand", "1", 3)], ("opened_by_hand", "1")),
        ([("corrected", "1", 0), ("corrected", "0", 2), ("corrected", "1", 1)], ("corrected", "0")),
        # the inference "no reply, so no complaint" yields to any other signal
        ([("no_reply_implied", "0", 5), ("reply_apology", "1", 0)], ("reply_apology", "1")),
    ],
)
def test_which_decision_wins(
    signals: list[tuple[str, str, float]], expected: tuple[str, str] | None
) -> None:
    best = winner(_signal(source, value, m) for source, value, m in signals)
    assert (None if best is None else (best.source, best.value)) == expected


def _event(
    subject: Case,
    kind: ChangeKind,
    minutes: float,
    correction: Verdict | None = None,
    tweet_id: str | None = None,
) -> CaseEvent:
    record = None
    if correction is not None:
        record = Correction(
            tweet_id=subject.opening_tweet_id, triage=Verdict(needs_reply=True),
            agent=correction, agent_id=AGENT.id, at=at(minutes),
        )  # fmt: skip
    return CaseEvent(
        event_id=uuid.uuid4().hex, case_version=1, occurred_at=at(minutes),
        change=Change(kind=kind, tweet_id=tweet_id, by=AGENT, correction=record), case=subject,
    )  # fmt: skip


def _reply(tweet_id: str, text: str, to: str) -> TriagedTweet:
    return triaged_tweet(
        tweet_id, text, author=BRAND, direction=Direction.OUTBOUND, in_reply_to_tweet_id=to
    )


TWEETS = {
    t.tweet.tweet_id: t
    for t in (
        triaged_tweet("t-a", "@acme my parcel is late again", complaint=False, needs_reply=False),
        triaged_tweet("t-b", "@acme buy followers cheap here", complaint=True),
        triaged_tweet("t-c", "@acme where do I change my address?", complaint=False),
        triaged_tweet("t-d", "@acme the new app is lovely", sentiment=Sentiment.POSITIVE),
        _reply("r-a", "@kumiko_t We're so sorry about the wait, please DM us", "t-a"),
        _reply("r-d", "@kumiko_t Glad to hear it!", "t-d"),
    )
}


def _rows(events: list[CaseEvent]) -> dict[str, dict[str, str]]:
    return {r["tweet_id"]: r for r in label_rows(events, TWEETS).rows}


def _said(row: dict[str, str], *fields: str) -> dict[str, tuple[str, str]]:
    return {f: (row[f], row[f"{f}_source"]) for f in fields}


def test_a_case_opened_by_hand_then_answered_with_an_apology_is_a_complaint_needing_a_reply() -> (
    None
):
    a = case("c-a", opening_tweet_id="t-a")
    rows = _rows([
        _event(a, ChangeKind.OPENED, 0, Verdict(needs_reply=True)),
        _event(a, ChangeKind.RESPONDED, 5, tweet_id="r-a"),
    ])  # fmt: skip
    row = rows["t-a"]
    assert set(rows) == {"t-a"}  # the brand's reply is no row of its own
    assert _said(row, "needs_reply", "complaint", "sentiment", "topic") == {
        "needs_reply": ("1", "opened_by_hand"),
        "complaint": ("1", "reply_apology"),
        "sentiment": ("negative", "reply_apology"),
        "topic": ("", ""),
    }
    assert (row["triage_complaint"], row["triage_needs_reply"]) == ("0", "0")
    assert (row["text"], row["model_version"], row["agents"]) == (
        "@acme my parcel is late again", "rules-1", "agent-a",
    )  # fmt: skip


def test_spam_and_no_reply_say_no_reply_and_no_complaint_and_a_correction_beats_them() -> None:
    b, c = case("c-b", opening_tweet_id="t-b"), case("c-c", opening_tweet_id="t-c")
    rows = _rows([
        _event(b, ChangeKind.STATE_CHANGED, 1, Verdict(spam=True)),
        _event(c, ChangeKind.STATE_CHANGED, 1, Verdict(needs_reply=False)),
        _event(c, ChangeKind.CORRECTED, 3, Verdict(needs_reply=True, topic=Topic.ACCOUNT)),
    ])  # fmt: skip
    assert _said(rows["t-b"], "spam", "needs_reply", "complaint") == {
        "spam": ("1", "spam"),
        "needs_reply": ("0", "spam"),
        "complaint": ("0", "no_reply_implied"),
    }
    assert _said(rows["t-c"], "needs_reply", "topic", "complaint") == {
        "needs_reply": ("1", "corrected"),
        "topic": ("account", "corrected"),
        "complaint": ("0", "no_reply_implied"),
    }


def test_a_transfer_says_the_queue_and_a_glad_reply_a_positive_customer() -> None:
    d = case("c-d", opening_tweet_id="t-d", queue="billing")
    row = _rows([
        _event(d, ChangeKind.TRANSFERRED, 2),
        _event(d, ChangeKind.RESPONDED, 4, tweet_id="r-d"),
    ])["t-d"]  # fmt: skip
    assert _said(row, "queue", "sentiment", "complaint", "needs_reply") == {
        "queue": ("billing", "transferred"),
        "sentiment": ("positive", "reply_glad"),
        "complaint": ("", ""),
        "needs_reply": ("1", "replied"),
    }


def test_repeats_count_once_and_tweets_without_text_are_counted_not_written() -> None:
    a = case("c-a", opening_tweet_id="t-a")
    gone = case("c-x", opening_tweet_id="t-gone")
    opened = _event(a, ChangeKind.OPENED, 0, Verdict(needs_reply=True))
    later = _event(a, ChangeKind.CORRECTED, 9, Verdict(needs_reply=False))
    labels = label_rows(
        [opened, later, opened, _event(gone, ChangeKind.CORRECTED, 1, Verdict(spam=True))], TWEETS
    )
    assert [r["needs_reply"] for r in labels.rows] == ["0"]  # the repeated open did not win
    assert labels.without_text == 1


def test_automatic_changes_say_nothing_and_selection_is_by_time_and_brand() -> None:
    a = case("c-a", opening_tweet_id="t-a")
    events = [_event(a, kind, 1) for kind in (ChangeKind.OPENED, ChangeKind.SLA_BREACH)]
    assert label_rows(events, TWEETS).rows == []
    late = _event(a, ChangeKind.CORRECTED, 60, Verdict(topic=Topic.BILLING))
    assert [selected(late, since, brand) for since, brand in [
        (None, None), (T0 + timedelta(minutes=61), None), (T0, "acme"), (T0, "other"),
    ]] == [True, False, True, False]  # fmt: skip
    reply = _event(a, ChangeKind.RESPONDED, 5, tweet_id="r-a")
    assert referenced([late, reply]) == {"t-a", "r-a"}


def test_the_file_is_one_train_reads_empty_cells_no_label(tmp_path: Path) -> None:
    a, c = case("c-a", opening_tweet_id="t-a"), case("c-c", opening_tweet_id="t-c")
    rows = label_rows([
        _event(a, ChangeKind.RESPONDED, 5, tweet_id="r-a"),
        _event(c, ChangeKind.CORRECTED, 1, Verdict(topic=Topic.ACCOUNT)),
    ], TWEETS).rows  # fmt: skip
    path = tmp_path / "labels.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    assert read_datasets(path) == {
        "complaint": (["@acme my parcel is late again"], ["1"]),
        "sentiment": (["@acme my parcel is late again"], ["negative"]),
    }


def test_since_is_a_date_or_time_in_utc_and_a_bad_one_says_how() -> None:
    assert since_date("2026-11-23") == T0 - timedelta(hours=1)
    assert since_date("2026-11-23T10:00:00+09:00") == T0
    with pytest.raises(argparse.ArgumentTypeError, match="YYYY-MM-DD"):
        since_date("last week")
