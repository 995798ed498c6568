"""Duplicate window, retweet policies, pacing and the replay plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.ingest.brands import BrandConfigError, BrandMap
from services.ingest.dedupe import Admission, RetweetPolicy, SeenWindow, Verdict
from services.ingest.normalise import build_event
from services.ingest.pacing import Pacing, PacingError
from services.ingest.replay_plan import plan
from services.plumbing.contracts.common import Channel, Direction
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TweetEvent

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _event(tweet_id: str, seconds: float = 0, **extra: object) -> TweetEvent:
    return build_event(
        tweet_id=tweet_id,
        conversation_id=tweet_id,
        text="@acme where is my order?",
        author=Author(id="42", handle="kenji"),
        brand="acme",
        handle="acme",
        matched=[Match(kind=MatchKind.MENTION, rule="@acme")],
        direction=Direction.INBOUND,
        customer_id="42",
        created_at=T0 + timedelta(seconds=seconds),
        received_at=T0 + timedelta(seconds=seconds),
        source=Source.X_STREAM,
        **extra,  # type: ignore[arg-type]
    )


def test_same_tweet_from_stream_search_and_mentions_is_published_once() -> None:
    admission = Admission()
    first = _event("100")
    from_search = first.model_copy(update={"source": Source.X_SEARCH})
    assert first.event_id == from_search.event_id  # deterministic ids help downstream too
    verdicts = [admission.decide(e) for e in (first, from_search, _event("101"), first)]
    assert verdicts == [Verdict.PUBLISH, Verdict.DUPLICATE, Verdict.PUBLISH, Verdict.DUPLICATE]


def test_a_dm_id_never_collides_with_a_tweet_id() -> None:
    admission = Admission()
    dm = _event("100").model_copy(update={"channel": Channel.DM})
    assert [admission.decide(e) for e in (_event("100"), dm)] == [Verdict.PUBLISH] * 2


def test_a_tweet_whose_send_failed_is_unseen_and_published_on_the_retry() -> None:
    admission = Admission()
    failed, other = _event("100"), _event("101")

    sent = admission.reserve([failed, other, failed])  # the same tweet twice on one page
    while_in_flight = admission.reserve([failed.model_copy(update={"source": Source.X_SEARCH})])
    admission.release(sent)  # Kafka refused the send
    retried = admission.reserve([failed, other])
    admission.confirm(retried)  # Kafka acknowledged
    after = admission.reserve([failed, other])

    assert sent == [failed, other]
    assert while_in_flight == []  # another source meanwhile: held back, not sent twice
    assert retried == [failed, other]
    assert after == []
    assert admission.in_flight == set()


def test_window_is_bounded() -> None:
    window = SeenWindow(capacity=3)
    assert [window.add(k) for k in "abcd"] == [True] * 4
    assert len(window) == 3
    assert window.add("a") is True  # forgotten: the oldest left the window
    assert window.add("d") is False


@pytest.mark.parametrize(
    ("policy", "verdict"),
    [
        (RetweetPolicy.DROP, Verdict.RETWEET_DROPPED),
        (RetweetPolicy.COLLAPSE, Verdict.RETWEET_COLLAPSED),
        (RetweetPolicy.KEEP, Verdict.PUBLISH),
    ],
)
def test_retweets_follow_the_policy(policy: RetweetPolicy, verdict: Verdict) -> None:
    admission = Admission(retweets=policy)
    retweets = [_event(str(200 + i), retweet_of_id="199") for i in range(3)]
    assert {admission.decide(e) for e in retweets} == {verdict}
    expected = 3 if policy == RetweetPolicy.COLLAPSE else 0
    assert admission.retweets_of["199"] == expected


@pytest.mark.parametrize(
    ("speed", "rate", "offsets"),
    [
        ("max", None, [0.0, 0.0, 0.0]),
        ("60", None, [0.0, 1.0, 2.0]),
        ("max", 2.0, [0.0, 0.5, 1.0]),
        ("600", 1.0, [0.0, 1.0, 2.0]),  # the rate caps a fast real-time factor
    ],
)
def test_pacing(speed: str, rate: float | None, offsets: list[float]) -> None:
    pacing = Pacing.parse(speed, rate)
    events = [_event(str(i), seconds=60 * i) for i in range(3)]
    assert [p.offset for p in plan(events, pacing)] == offsets


@pytest.mark.parametrize(("speed", "rate"), [("fast", None), ("0", None), ("max", -1.0)])
def test_bad_pacing_is_a_clear_error(speed: str, rate: float | None) -> None:
    with pytest.raises(PacingError):
        Pacing.parse(speed, rate)


def test_loops_make_ids_unique_and_keep_reply_links() -> None:
    reply = _event("11", seconds=5, in_reply_to_tweet_id="10")
    items = list(plan([_event("10"), reply], Pacing(), loops=3))
    ids = [i.event.tweet_id for i in items]
    assert ids == ["10", "11", "10-L1", "11-L1", "10-L2", "11-L2"]
    assert len({i.event.event_id for i in items}) == 6
    assert items[3].event.in_reply_to_tweet_id == "10-L1"
    assert items[2].event.created_at > items[1].event.created_at


@pytest.mark.parametrize(("speed", "gap_s"), [(1.0, 30.0), (60.0, 0.5)])
def test_rebase_gives_each_tweet_the_time_it_is_due(speed: float, gap_s: float) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    events = [_event("1"), _event("2", seconds=30)]
    items = list(plan(events, Pacing(speed=speed), rebase_to=now))
    assert [i.event.created_at for i in items] == [now, now + timedelta(seconds=gap_s)]
    assert [i.offset for i in items] == [0.0, gap_s]


@pytest.mark.parametrize("pair", ["AcmeHelp", "=acme", "AcmeHelp=ac me", "AcmeHelp=a:b"])
def test_brand_mapping_errors_name_the_entry(pair: str) -> None:
    with pytest.raises(BrandConfigError, match="HANDLE=BRAND"):
        BrandMap.from_pairs([pair])


def test_one_brand_owns_several_handles_case_insensitively() -> None:
    brands = BrandMap.from_pairs(["AcmeHelp=acme", "@Acme_JP=acme"]).extended(["Other"])
    assert brands.brand_of("acmehelp") == brands.brand_of("ACME_jp") == "acme"
    assert brands.brand_of("other") == "other"
    assert brands.brand_of("nobody") is None
