"""The fault suite's reconciliation (tests/faults/reconcile.py): each loss and each double it
must name, on small tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.faults.reconcile import (
    CaseEventRow,
    ClockRow,
    ReplyRequest,
    ReplyResult,
    Tweet,
    breaches,
    case_histories,
    cases_indexed,
    replies,
    tweets_indexed,
)

T0 = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def tw(tweet_id: str, event_id: str | None = None, direction: str = "inbound") -> Tweet:
    return Tweet(tweet_id, event_id or f"e{tweet_id}", direction)


def test_tweets_every_one_indexed_once_and_a_repeated_record_is_no_double() -> None:
    check = tweets_indexed([tw("1"), tw("2"), tw("2"), tw("3", direction="outbound")],
                           ["1", "2", "3"])  # fmt: skip
    assert check.ok, check.summary()
    assert check.figures["in tweets.raw"] == 3
    assert check.figures["records repeated"] == 1
    assert check.figures["outbound"] == 1


def test_tweets_lost_doubled_and_unknown_are_named() -> None:
    check = tweets_indexed([tw("1"), tw("2"), tw("3")], ["1", "1", "3", "9"])
    assert check.lost == ["1 tweets of tweets.raw not indexed: 2"]
    assert check.doubled == ["1 tweets indexed more than once: 1"]
    assert check.wrong == ["1 indexed tweets not in tweets.raw: 9"]
    assert not check.ok


def ev(event_id: str, case_id: str, version: int, kind: str, second: float = 0,
       **more: object) -> CaseEventRow:  # fmt: skip
    return CaseEventRow(event_id, case_id, version, kind, at(second), **more)  # type: ignore[arg-type]


def test_case_history_complete_with_repeats_and_a_rejected_action() -> None:
    events = [
        ev("a1", "c1", 1, "opened"), ev("a2", "c1", 2, "claimed"),
        ev("a1", "c1", 1, "opened"), ev("a2", "c1", 2, "claimed"),  # redelivered after a crash
        ev("a3", "c1", 2, "action_rejected"), ev("a4", "c1", 3, "responded"),
        ev("b1", "c2", 1, "opened"),
    ]  # fmt: skip
    check = case_histories(events)
    assert check.ok, check.summary()
    assert check.figures == {"cases": 2, "events": 5, "records repeated": 2}


def test_case_history_missing_version_second_opened_reused_version_are_named() -> None:
    events = [
        ev("a1", "c1", 1, "opened"), ev("a3", "c1", 3, "claimed"),
        ev("b1", "c2", 1, "opened"), ev("b2", "c2", 2, "opened"),
        ev("d1", "c3", 1, "opened"), ev("d2", "c3", 2, "claimed"), ev("d3", "c3", 2, "responded"),
        ev("e2", "c4", 2, "claimed"),
    ]  # fmt: skip
    check = case_histories(events)
    assert check.lost == [
        "1 cases without an opened event: c4",
        "2 cases with missing versions: c1: versions 1→3 (after a1); c4: starts at version 2",
    ]
    assert check.doubled == [
        "cases opened more than once: c2 (b1, b2)",
        "1 versions reused: c3: version 2 twice (d2 claimed, d3 responded)",
    ]


def test_case_history_out_of_order_and_an_id_at_two_versions_are_wrong() -> None:
    check = case_histories([ev("a1", "c1", 1, "opened"), ev("a2", "c1", 2, "claimed"),
                            ev("a3", "c1", 1, "tagged"), ev("a2", "c1", 3, "claimed")])  # fmt: skip
    assert check.wrong == [
        "event ids repeated at another version: a2",
        "1 out of order: c1: a3 at 1 after 2",
    ]


def test_case_documents_at_their_last_version() -> None:
    events = [ev("a1", "c1", 1, "opened"), ev("a2", "c1", 2, "claimed"),
              ev("b1", "c2", 1, "opened"), ev("d1", "c3", 1, "opened")]  # fmt: skip
    assert cases_indexed(events, {"c1": 2, "c2": 1, "c3": 1}).ok
    check = cases_indexed(events, {"c1": 1, "c2": 1})
    assert check.lost == ["1 cases not indexed: c3",
                          "1 case documents not at their last version: c1 at 1 of 2"]  # fmt: skip


def test_replies_posted_or_failed_once_each() -> None:
    requests = [ReplyRequest("r1", "c1", "hello #1"), ReplyRequest("r2", "c2", "hello #2"),
                ReplyRequest("r1", "c1", "hello #1")]  # fmt: skip
    results = [ReplyResult("r1", "posted", "t1"), ReplyResult("r1", "posted", "t1"),
               ReplyResult("r2", "failed", None, "outcome_unknown", "killed mid-post")]  # fmt: skip
    outbound = [
        Tweet("t1", "x1", "outbound", "hello #1"),
        Tweet("t1", "x1", "outbound", "hello #1"),
    ]
    check = replies({"r1": "hello #1", "r2": "hello #2"}, requests, results, outbound)
    assert check.ok, check.summary()
    assert check.figures == {"accepted": 2, "in outbox": 2, "posted": 1, "failed": 1,
                             "failed outcome_unknown": 1}  # fmt: skip


def test_replies_lost_posted_twice_and_failed_without_reason_are_named() -> None:
    requests = [ReplyRequest("r1", "c1", "one"), ReplyRequest("r2", "c2", "two"),
                ReplyRequest("r3", "c3", "three"), ReplyRequest("r4", "c4", "two")]  # fmt: skip
    results = [ReplyResult("r1", "posted", "t1"), ReplyResult("r1", "posted", "t9"),
               ReplyResult("r3", "failed"), ReplyResult("r4", "posted", "t4")]  # fmt: skip
    outbound = [Tweet("t1", "x1", "outbound", "one"), Tweet("t9", "x9", "outbound", "one"),
                Tweet("t4", "x4", "outbound", "two")]  # fmt: skip
    check = replies({"r1": "one", "r5": "five"}, requests, results, outbound)
    assert check.lost == [
        "1 accepted replies never in outbox.replies: r5",
        "reply r2: no outcome in outbox.results",
    ]
    assert check.doubled == [
        "one reply under reply ids r2, r4: 'two'",
        "reply r1 posted as t1, t9",
        "reply r1 on X 2 times: t1, t9",
    ]
    assert check.wrong == ["reply r3 failed without a reason"]


def test_replies_posted_but_never_echoed_is_lost() -> None:
    check = replies({}, [ReplyRequest("r1", "c1", "one")], [ReplyResult("r1", "posted", "t1")], [])
    assert check.lost == ["reply r1 posted as t1 but no outbound tweet of it in tweets.raw"]


def running(name: str, due: float) -> ClockRow:
    return ClockRow(name, "running", at(due))


def test_breach_fired_once_for_each_due_clock_and_none_for_a_met_one() -> None:
    fr = "first_response"
    events = [
        ev("a1", "c1", 1, "opened", 0, clocks=(running(fr, 20),)),
        ev("a2", "c1", 2, "sla_breach", 20.4, clock=fr, due_at=at(20),
           clocks=(ClockRow(fr, "breached", None),)),
        ev("a2", "c1", 2, "sla_breach", 20.4, clock=fr, due_at=at(20)),  # redelivered
        ev("b1", "c2", 1, "opened", 0, clocks=(running(fr, 20),)),
        ev("b2", "c2", 2, "responded", 10, clocks=(ClockRow(fr, "met", None),)),
        ev("d1", "c3", 1, "opened", 0, clocks=(running(fr, 90),)),  # due after the cutoff
    ]  # fmt: skip
    check = breaches(events, cutoff=at(60))
    assert check.ok, check.summary()
    assert check.figures == {"clocks due": 1, "breaches": 1, "breaches of no clock seen due": 0}


def test_breach_missed_when_met_only_after_due_and_doubled_under_two_ids() -> None:
    fr, nr = "first_response", "next_response"
    events = [
        ev("a1", "c1", 1, "opened", 0, clocks=(running(fr, 20),)),
        ev("a2", "c1", 2, "responded", 25, clocks=(ClockRow(fr, "met", None),)),  # too late
        ev("b1", "c2", 1, "opened", 0, clocks=(running(nr, 20),)),
        ev("b2", "c2", 2, "sla_breach", 21, clock=nr, due_at=at(20)),
        ev("b3", "c2", 3, "sla_breach", 22, clock=nr, due_at=at(20)),
    ]  # fmt: skip
    check = breaches(events, cutoff=at(60))
    assert check.lost == [f"1 breaches missed: c1 first_response due {at(20).isoformat()}"]
    assert check.doubled == [
        f"1 breaches fired twice: c2 next_response due {at(20).isoformat()}: b2, b3"
    ]


def test_breach_not_due_when_the_case_closed_or_the_clock_moved_in_time() -> None:
    fr = "first_response"
    events = [
        ev("a1", "c1", 1, "opened", 0, clocks=(running(fr, 20),)),
        ev("a2", "c1", 2, "state_changed", 5, state="resolved", clocks=(running(fr, 20),)),
        ev("b1", "c2", 1, "opened", 0, clocks=(running(fr, 20),)),
        ev("b2", "c2", 2, "tweet_added", 5, clocks=(running(fr, 200),)),
    ]  # fmt: skip
    check = breaches(events, cutoff=at(60))
    assert check.ok, check.summary()
    assert check.figures["clocks due"] == 0


def test_a_breach_fired_within_the_millisecond_is_the_clock_falling_due() -> None:
    # Events are stamped to the millisecond: a breach fired less than 1 ms after its due time
    # carries the due time itself; it is that clock's breach, not a change that settled it.
    fr = "first_response"
    events = [
        ev("a1", "c1", 1, "opened", 0, clocks=(running(fr, 20),)),
        ev("a2", "c1", 2, "sla_breach", 20, clock=fr, due_at=at(20),
           clocks=(ClockRow(fr, "breached", None),)),
    ]  # fmt: skip
    check = breaches(events, cutoff=at(60))
    assert check.ok, check.summary()
    assert check.figures == {"clocks due": 1, "breaches": 1, "breaches of no clock seen due": 0}


def test_a_breach_of_a_clock_met_in_time_is_wrong() -> None:
    fr = "first_response"
    events = [
        ev("a1", "c1", 1, "opened", 0, clocks=(running(fr, 20),)),
        ev("a2", "c1", 2, "responded", 10, clocks=(ClockRow(fr, "met", None),)),
        ev("a3", "c1", 3, "sla_breach", 20.5, clock=fr, due_at=at(20)),
    ]  # fmt: skip
    check = breaches(events, cutoff=at(60))
    due = at(20).isoformat()
    assert check.wrong == [f"1 breaches of no clock due: c1 first_response due {due}"]
    assert not check.ok
