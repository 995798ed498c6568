"""Case, case-event and tweet documents of the read model: derived fields, versioned bulk
actions, and the text a tweet document keeps. Pure: no Elasticsearch."""

from __future__ import annotations

import orjson
import pytest

from services.api.readmodel.documents import (
    case_document,
    case_event_document,
    case_operations,
    tweet_document,
    tweet_operation,
)
from services.plumbing.contracts.cases import CaseState, ChangeKind, ClockName, ClockStatus
from services.plumbing.contracts.codecs import CASES_EVENTS
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.tweets import Author, PiiKind
from tests.factories.readmodel import (
    AGENT,
    T0,
    at,
    case,
    case_event,
    clock,
    inbound,
    outbound,
    triaged_tweet,
)

FR, RES, NR = ClockName.FIRST_RESPONSE, ClockName.RESOLUTION, ClockName.NEXT_RESPONSE
RUNNING, PAUSED, MET = ClockStatus.RUNNING, ClockStatus.PAUSED, ClockStatus.MET
BREACHED, STOPPED = ClockStatus.BREACHED, ClockStatus.STOPPED


def doc_of(**fields: object) -> dict[str, object]:
    return case_document(case_event(case("c-1", **fields), 1))


def test_next_due_at_is_the_earliest_due_time_of_the_running_clocks() -> None:
    doc = doc_of(
        clocks=[
            clock(RES, RUNNING, due=at(600)),
            clock(FR, RUNNING, due=at(45)),
            clock(NR, PAUSED),
        ]
    )
    assert doc["next_due_at"] == "2026-11-23T01:45:00.000Z"


def test_next_due_at_ignores_paused_met_and_breached_clocks() -> None:
    doc = doc_of(
        clocks=[
            clock(FR, MET, met_at=at(5)),
            clock(RES, PAUSED),
            clock(NR, BREACHED, breached_at=at(30)),
        ]
    )
    assert doc["next_due_at"] is None


@pytest.mark.parametrize(
    ("state", "clocks", "breached", "warned"),
    [
        (CaseState.NEW, [clock(FR, RUNNING, due=at(60))], False, False),
        (CaseState.NEW, [clock(FR, RUNNING, due=at(60), warned=True)], False, True),
        (CaseState.NEW, [clock(FR, BREACHED, breached_at=at(60))], True, False),
        # a breach outweighs a warning on another clock
        (
            CaseState.ASSIGNED,
            [clock(FR, BREACHED, breached_at=at(60)), clock(RES, RUNNING, due=at(99), warned=True)],
            True,
            False,
        ),
        # answered late: the breach is history, no longer outstanding
        (
            CaseState.ASSIGNED,
            [clock(FR, BREACHED, breached_at=at(60), met_at=at(70))],
            False,
            False,
        ),
        # a warning on a clock no longer running is over
        (CaseState.WAITING_ON_CUSTOMER, [clock(RES, PAUSED, warned=True)], False, False),
        # a closed case is neither
        (CaseState.RESOLVED, [clock(FR, BREACHED, breached_at=at(60))], False, False),
        (CaseState.SPAM, [clock(FR, RUNNING, due=at(60), warned=True)], False, False),
    ],
)
def test_breached_and_warned(
    state: CaseState, clocks: list[object], breached: bool, warned: bool
) -> None:
    doc = doc_of(state=state, clocks=clocks)
    assert (doc["breached"], doc["warned"]) == (breached, warned)


@pytest.mark.parametrize(
    ("state", "is_open"),
    [
        (CaseState.NEW, True),
        (CaseState.ASSIGNED, True),
        (CaseState.WAITING_ON_CUSTOMER, True),
        (CaseState.RESOLVED, False),
        (CaseState.CLOSED_NO_REPLY, False),
        (CaseState.SPAM, False),
    ],
)
def test_open_or_closed_by_state(state: CaseState, is_open: bool) -> None:
    assert doc_of(state=state)["open"] is is_open


def test_first_response_seconds_from_opening_to_the_first_brand_response() -> None:
    assert doc_of(first_response_at=at(12.5))["first_response_seconds"] == 750.0
    assert doc_of()["first_response_seconds"] is None


def test_sla_outcome_per_clock() -> None:
    doc = doc_of(
        clocks=[
            clock(FR, BREACHED, breached_at=at(60), met_at=at(70)),
            clock(RES, STOPPED),
            clock(NR, MET, met_at=at(80)),
        ]
    )
    assert doc["sla"] == {
        "first_response": "breached",
        "resolution": "stopped",
        "next_response": "met",
    }
    assert doc_of(clocks=[clock(FR, PAUSED)])["sla"] == {"first_response": "pending"}


def test_case_document_holds_the_snapshot_its_version_and_thread_tweet_ids() -> None:
    subject = case(
        "c-7",
        assignee=AGENT,
        thread=[inbound("t1", T0), outbound("t2", at(3)), inbound("t3", at(9))],
        first_response_at=at(3),
    )
    event = case_event(subject, 4, ChangeKind.CLAIMED, event_id="ev-4")
    doc = case_document(event)
    assert doc["case_version"] == 4
    assert doc["event_id"] == "ev-4"
    assert doc["last_change"] == "claimed"
    assert doc["tweet_ids"] == ["t1", "t2", "t3"]
    assert doc["responses"] == 1
    assert doc["assignee"] == {"id": "agent-a", "name": "Aiko", "role": "agent"}
    assert doc["opened_at"] == "2026-11-23T01:00:00.000Z"
    assert orjson.loads(orjson.dumps(doc)) == doc  # plain JSON, nothing left to serialise


def test_case_operations_version_the_case_externally_and_key_the_event_by_its_id() -> None:
    event = case_event(case("c-9", queue="billing"), 7, ChangeKind.TRANSFERRED, event_id="ev-9")
    (case_meta, case_doc), (event_meta, event_doc) = case_operations(event, "pfx")
    assert case_meta == {
        "index": {"_index": "pfx-cases", "_id": "c-9", "version": 7, "version_type": "external"}
    }
    assert case_doc["queue"] == "billing"
    assert event_meta == {"index": {"_index": "pfx-case-events", "_id": "ev-9"}}
    assert event_doc == case_event_document(event)
    assert event_doc["kind"] == "transferred"
    assert event_doc["case_version"] == 7
    assert "thread" not in event_doc
    assert "customer" not in event_doc


def test_an_sla_event_document_names_its_clock() -> None:
    event = case_event(case("c-2"), 3, ChangeKind.SLA_BREACH, clock_name=FR)
    doc = case_event_document(event)
    assert (doc["kind"], doc["clock"], doc["queue"], doc["state"]) == (
        "sla_breach",
        "first_response",
        "care",
        "new",
    )


def test_tweet_document_keeps_the_original_text_when_triage_may() -> None:
    event = triaged_tweet(
        "t-1",
        "my order AC-1234-5678 is late",
        redacted_text="my order [order_number] is late",
        pii=[PiiKind.ORDER_NUMBER],
    )
    meta, doc = tweet_operation(event, "pfx")
    assert meta == {"index": {"_index": "pfx-tweets", "_id": "t-1"}}
    assert doc["text"] == "my order AC-1234-5678 is late"
    assert doc["redacted_text"] == "my order [order_number] is late"
    assert doc["pii"] == ["order_number"]
    assert doc["event_id"] == event.event_id


def test_tweet_document_holds_only_the_redacted_text_when_the_original_is_not_kept() -> None:
    event = triaged_tweet(
        "t-2",
        "call me on 090-1234-5678",
        redacted_text="call me on [phone]",
        pii=[PiiKind.PHONE],
        original_text_kept=False,
    )
    doc = tweet_document(event)
    assert doc["text"] == "call me on [phone]"
    assert "090-1234-5678" not in orjson.dumps(doc).decode()


def test_tweet_document_never_falls_back_to_text_with_pii_when_no_redaction_came() -> None:
    event = triaged_tweet(
        "t-3", "card 4111 1111 1111 1111", redacted_text="", pii=[PiiKind.CARD_NUMBER],
        original_text_kept=False,
    )  # fmt: skip
    assert tweet_document(event)["text"] == ""
    clean = triaged_tweet("t-4", "no personal data here", redacted_text="")
    assert tweet_document(clean)["redacted_text"] == "no personal data here"


def test_tweet_document_carries_triage_decisions_and_the_author() -> None:
    author = Author(id="77", handle="Dan_Rides", followers=1875, location="Leeds")
    event = triaged_tweet(
        "t-5", "thanks!", author=author, direction=Direction.OUTBOUND, lang="ja", queue="jp"
    )
    doc = tweet_document(event)
    assert doc["author"]["followers"] == 1875
    assert doc["author"]["handle"] == "Dan_Rides"
    assert (doc["lang"], doc["queue"], doc["topic"], doc["direction"]) == (
        "ja",
        "jp",
        "delivery",
        "outbound",
    )
    assert doc["needs_reply"] is False
    assert doc["created_at"] == "2026-11-23T01:00:00.000Z"
    assert "version" not in doc


def test_the_case_as_the_message_spelled_it_gives_the_same_document() -> None:
    event = case_event(case("c-9", clocks=[clock(FR, RUNNING, due=at(60)), clock(RES, PAUSED)]), 3)
    wire = orjson.loads(CASES_EVENTS.encode(event))["case"]
    assert case_document(event, wire) == case_document(event)
    assert case_operations(event, "p", wire) == case_operations(event, "p")


def test_a_message_without_a_newer_field_is_dumped_from_the_model() -> None:
    event = case_event(case("c-9", model_version="lr-7"), 1)
    older = {k: v for k, v in event.case.model_dump(mode="json").items() if k != "model_version"}
    assert case_document(event, older)["model_version"] == "lr-7"
