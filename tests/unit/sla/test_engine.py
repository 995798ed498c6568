"""The SLA worker's state and batch step (no Kafka): what a batch publishes, in which order, what a
recovering worker rebuilds from the state records alone, and what a released partition forgets.
Also the pieces it stands on: events spliced from a case encoded once, the SLA's view of a
triaged tweet, and the earliest-due shortcut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.plumbing.contracts.cases import ChangeKind, ClockStatus
from services.plumbing.contracts.codecs import CASES_EVENTS, TWEETS_TRIAGED, EventValidationError
from services.plumbing.contracts.deadletter import DeadLetterReason
from services.plumbing.contracts.tweets import Author
from services.sla import clockwork as clocks
from services.sla.engine import Engine, Incoming
from services.sla.inputs import CASE_INPUTS
from services.sla.policies import load_policy
from services.sla.storage import CaseJson, dump_book, encode_event, load_book
from services.sla.ticks import next_due
from services.sla.tweets import on_tweet
from tests.factories.sla import AGENT_A, action, triaged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
POLICY = load_policy("warn_at: [0.5]\ndefault: {first_response: 60s, resolution: 1h}\n")


def customer(n: int) -> Author:
    return Author(id=f"50{n:03d}", handle=f"c{n}")


def tweet_in(n: int, at: datetime = T0) -> Incoming:
    tt = triaged(f"9{n:04d}", at, conversation=f"9{n:04d}", customer=customer(n))
    return Incoming(tt.tweet.case_key, n % 4, tt)


def test_a_batch_opens_cases_and_writes_one_state_record_per_changed_book() -> None:
    engine = Engine(POLICY)
    out = engine.apply([tweet_in(n) for n in range(5)], T0)
    events = [CASES_EVENTS.decode(value) for _, value in out.events]
    assert [e.change.kind for e in events] == [ChangeKind.OPENED] * 5
    assert [r.key.decode() for r in out.state] == [f"acme:50{n:03d}" for n in range(5)]
    due = (T0 + timedelta(seconds=30)).timestamp()  # the 50% warning of a 60 s target
    assert all(r.due == due for r in out.state)
    assert [r.headers for r in out.state] == [[("due", repr(due).encode())]] * 5
    assert [load_book(r.value)[0].case.case_id for r in out.state] == [
        e.case.case_id for e in events
    ]
    assert len(engine) == 5
    assert len(engine.heap) == 5


def test_the_timer_fires_each_due_warning_and_breach_once() -> None:
    engine = Engine(POLICY)
    engine.apply([tweet_in(1)], T0)
    assert engine.due_keys(T0 + timedelta(seconds=29)) == []
    warned = engine.apply(engine.due_keys(T0 + timedelta(seconds=31)), T0 + timedelta(seconds=31))
    breached = engine.apply(engine.due_keys(T0 + timedelta(seconds=61)), T0 + timedelta(seconds=61))
    again = engine.apply(engine.due_keys(T0 + timedelta(seconds=99)), T0 + timedelta(seconds=99))
    kinds = [CASES_EVENTS.decode(v).change.kind for _, v in [*warned.events, *breached.events]]
    assert kinds == [ChangeKind.SLA_WARNING, ChangeKind.SLA_BREACH]
    assert again.events == []


def test_an_input_fires_what_is_due_first_even_when_the_timer_has_not() -> None:
    engine = Engine(POLICY)
    engine.apply([tweet_in(1)], T0)
    late = T0 + timedelta(seconds=70)
    follow_up = triaged("90002", late, conversation="90001", customer=customer(1))
    out = engine.apply([Incoming(follow_up.tweet.case_key, 1, follow_up)], late)
    kinds = [CASES_EVENTS.decode(v).change.kind for _, v in out.events]
    assert kinds == [ChangeKind.SLA_WARNING, ChangeKind.SLA_BREACH, ChangeKind.TWEET_ADDED]


def test_a_recovered_worker_rebuilds_timers_from_headers_and_books_from_bytes() -> None:
    first = Engine(POLICY)
    out = first.apply([tweet_in(n) for n in range(4)], T0)
    second = Engine(POLICY)
    second.own(1, [(r.key.decode(), r.value, r.due) for r in out.state if r.key.endswith(b"1")])
    second.own(0, [(r.key.decode(), r.value, r.due) for r in out.state if r.key.endswith(b"0")])
    assert second.partitions == {0, 1}
    assert len(second) == 2
    assert len(second.heap) == 2
    later = T0 + timedelta(seconds=61)
    fired = second.apply(second.due_keys(later), later)
    kinds = sorted(CASES_EVENTS.decode(v).change.kind for _, v in fired.events)
    assert kinds == sorted([ChangeKind.SLA_WARNING, ChangeKind.SLA_BREACH] * 2)
    # The same happenings as the first worker would have fired: the same event ids.
    again = first.apply(first.due_keys(later), later)
    ids = {CASES_EVENTS.decode(v).event_id for _, v in fired.events}
    assert len(ids) == 4
    assert ids <= {CASES_EVENTS.decode(v).event_id for _, v in again.events}


def test_a_tombstone_forgets_a_key_and_a_released_partition_forgets_its_books_and_timers() -> None:
    engine = Engine(POLICY)
    out = engine.apply([tweet_in(n) for n in range(8)], T0)
    by_partition = {n % 4 for n in range(8)}
    assert engine.partitions == by_partition
    dropped = engine.release({0, 1})
    assert dropped == 4
    assert engine.partitions == {2, 3}
    assert len(engine.heap) == 4
    assert engine.due_keys(T0 + timedelta(days=1)) != []
    key = out.state[2].key.decode()  # partition 2
    engine.own(2, [(key, None, None)])
    assert engine.book(key) == ()


def test_an_input_that_raises_changes_nothing_and_is_returned() -> None:
    engine = Engine(POLICY)
    engine.apply([tweet_in(1)], T0)
    case_id = engine.book("acme:50001")[0].case.case_id
    good = action("claim", case_id, T0, AGENT_A).model_copy(update={"case_key": "acme:50001"})
    bad = Incoming("acme:50001", 1, "not an input")  # type: ignore[arg-type]
    out = engine.apply([bad, Incoming("acme:50001", 1, good)], T0)
    assert [incoming for incoming, _ in out.failed] == [bad]
    assert [CASES_EVENTS.decode(v).change.kind for _, v in out.events] == [ChangeKind.CLAIMED]


def test_spliced_events_and_books_equal_what_the_codec_writes() -> None:
    step = on_tweet((), triaged("1", T0), POLICY)
    cache = CaseJson()
    for event in step.events:
        assert CASES_EVENTS.decode(encode_event(event, cache)) == event
        assert CASES_EVENTS.decode(encode_event(event, cache)) == CASES_EVENTS.decode(
            CASES_EVENTS.encode(event)
        )
    assert load_book(dump_book(step.book, cache)) == step.book


def test_the_sla_view_of_a_triaged_tweet_holds_what_cases_use_and_refuses_bad_ones() -> None:
    tt = triaged("77", T0, conversation="70")
    seen = CASE_INPUTS.decode(TWEETS_TRIAGED.encode(tt))
    assert on_tweet((), seen, POLICY).book == on_tweet((), tt, POLICY).book
    broken = TWEETS_TRIAGED.encode(tt).replace(b'"case_key":"acme:4001"', b'"case_key":"x"')
    with pytest.raises(EventValidationError) as bad:
        CASE_INPUTS.decode(broken)
    assert bad.value.reason_code == DeadLetterReason.SCHEMA_VIOLATION
    newer = TWEETS_TRIAGED.encode(tt).replace(b'"version":1', b'"version":2', 1)
    with pytest.raises(EventValidationError) as unknown:
        CASE_INPUTS.decode(newer)
    assert unknown.value.reason_code == DeadLetterReason.UNKNOWN_VERSION


def test_next_due_is_the_earliest_pending_warning_or_breach() -> None:
    policy = load_policy("warn_at: [0.5, 0.8]\ndefault: {first_response: 100s, resolution: 1h}\n")
    book = on_tweet((), triaged("1", T0), policy).book
    case = book[0].case
    cal = policy.calendar("24/7")
    every = [d.at for c in case.clocks for d in clocks.pending(c, cal)]
    assert next_due(book, policy) == min(every) == T0 + timedelta(seconds=50)
    fired = clocks.fire(case.clocks[0], clocks.pending(case.clocks[0], cal)[0])
    assert clocks.next_at(fired, cal) == T0 + timedelta(seconds=80)
    met = clocks.finish(case.clocks[0], ClockStatus.MET, T0)
    assert clocks.next_at(met, cal) is None


def test_books_past_the_decoded_bound_wait_as_bytes_and_come_back_unchanged() -> None:
    engine = Engine(POLICY, decoded=10)
    engine.apply([tweet_in(n) for n in range(25)], T0)
    assert engine.decoded <= 10
    assert len(engine) == 25
    cooled = "acme:50000"  # the book changed longest ago
    book = engine.book(cooled)
    assert len(book) == 1
    assert book[0].case.case_key == cooled
    later = T0 + timedelta(seconds=61)
    fired = engine.apply(engine.due_keys(later), later)
    assert len({CASES_EVENTS.decode(v).case.case_id for _, v in fired.events}) == 25
