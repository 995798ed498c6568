"""A TWCS file and an IBM file become valid tweet events that keep the files' own facts: ours
(tests/fixtures) and the shared real ones (``replay_files``)."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest

from services.ingest.dedupe import Admission, Verdict
from services.ingest.normalise import snowflake_ms
from services.ingest.replay import FileFormat, load_events
from services.plumbing.contracts.codecs import TWEETS_RAW
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.tweets import MatchKind, TweetEvent
from tests.fixtures import ReplayFiles


@pytest.fixture(scope="module")
def twcs_rows(replay_files: ReplayFiles) -> dict[str, dict[str, str]]:
    with replay_files.twcs.open(newline="", encoding="utf-8") as stream:
        return {r["tweet_id"]: r for r in csv.DictReader(stream)}


@pytest.fixture(scope="module")
def twcs_events(replay_files: ReplayFiles) -> list[TweetEvent]:
    return load_events(replay_files.twcs, FileFormat.TWCS, [])


def test_every_twcs_row_becomes_one_valid_event(
    twcs_rows: dict[str, dict[str, str]], twcs_events: list[TweetEvent]
) -> None:
    assert sorted(e.tweet_id for e in twcs_events) == sorted(twcs_rows)
    for event in twcs_events:
        assert TWEETS_RAW.decode(TWEETS_RAW.encode(event)) == event


def test_twcs_direction_from_brand_handles_matches_the_inbound_column(
    twcs_rows: dict[str, dict[str, str]], twcs_events: list[TweetEvent]
) -> None:
    for event in twcs_events:
        inbound = twcs_rows[event.tweet_id]["inbound"] == "True"
        assert (event.direction == Direction.INBOUND) == inbound, event.tweet_id
    outbound = [e for e in twcs_events if e.direction == Direction.OUTBOUND]
    assert outbound
    assert all(e.author.handle == e.handle for e in outbound)  # brand replies stay the brand's
    assert all(e.matched[0].kind == MatchKind.OWN for e in outbound)


def _root(rows: dict[str, dict[str, str]], tweet_id: str) -> str:
    # The test's own walk: up the in_response_to links while the parent is in the file.
    current = tweet_id
    while True:
        parent = rows[current]["in_response_to_tweet_id"]
        if not parent:
            return current
        if parent not in rows:
            return parent
        current = parent


def test_twcs_conversations_and_case_keys_follow_the_reply_links(
    twcs_rows: dict[str, dict[str, str]], twcs_events: list[TweetEvent]
) -> None:
    for event in twcs_events:
        assert event.conversation_id == _root(twcs_rows, event.tweet_id)
        parent = twcs_rows[event.tweet_id]["in_response_to_tweet_id"] or None
        assert event.in_reply_to_tweet_id == parent
        brand, customer = event.case_key.split(":")
        assert brand == event.brand
        if event.direction == Direction.INBOUND:
            assert customer == event.author.id
        elif parent in twcs_rows:
            assert customer == twcs_rows[parent]["author_id"]


def test_twcs_events_are_in_time_order(twcs_events: list[TweetEvent]) -> None:
    times = [e.created_at for e in twcs_events]
    assert times == sorted(times)


def test_twcs_files_have_no_duplicates_or_retweets(
    twcs_rows: dict[str, dict[str, str]], twcs_events: list[TweetEvent]
) -> None:
    admission = Admission()
    verdicts = Counter(admission.decide(e) for e in twcs_events)
    assert verdicts == Counter({Verdict.PUBLISH: len(twcs_rows)})


@pytest.fixture(scope="module")
def ibm(replay_files: ReplayFiles) -> tuple[list[dict[str, object]], list[TweetEvent]]:
    path = replay_files.ibm
    return json.loads(path.read_text(encoding="utf-8")), load_events(path, FileFormat.IBM, [])


def test_ibm_turns_and_final_replies_become_events(
    ibm: tuple[list[dict[str, object]], list[TweetEvent]],
) -> None:
    conversations, events = ibm
    turns = sum(len(c["dialogContent"]) for c in conversations)  # type: ignore[arg-type]
    assert len(events) == turns + len(conversations)  # every final agent reply added once
    by_id = {e.tweet_id: e for e in events}
    for conversation in conversations:
        final = conversation["agentURL"]["tweet_ID"]  # type: ignore[index]
        event = by_id[final]
        assert event.direction == Direction.OUTBOUND
        assert int(event.created_at.timestamp() * 1000) == snowflake_ms(final)
        company = conversation["dialogHeader"]["company"]  # type: ignore[index]
        assert event.handle == company


def test_ibm_speakers_decide_direction(
    ibm: tuple[list[dict[str, object]], list[TweetEvent]],
) -> None:
    conversations, events = ibm
    by_id = {e.tweet_id: e for e in events}
    for conversation in conversations:
        for turn in conversation["dialogContent"]:  # type: ignore[attr-defined]
            expected = Direction.OUTBOUND if "agent" in turn else Direction.INBOUND
            assert by_id[turn["tweet_ID"]].direction == expected


def test_ibm_tweets_shared_by_two_conversations_are_published_once(
    ibm: tuple[list[dict[str, object]], list[TweetEvent]], replay_files: ReplayFiles
) -> None:
    _, events = ibm
    admission = Admission()
    verdicts = Counter(admission.decide(e) for e in events)
    unique = len({e.tweet_id for e in events})
    assert verdicts[Verdict.PUBLISH] == unique == replay_files.ibm_tweets
    assert verdicts[Verdict.DUPLICATE] == len(events) - unique == replay_files.ibm_repeated
