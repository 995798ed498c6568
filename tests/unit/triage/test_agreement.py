"""Agreement as a metric: which case events say agents agreed with triage or overturned it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from services.api.cases.by_hand import OpenBody, open_case
from services.api.readmodel.documents import tweet_document
from services.plumbing.agreement import AgreementMetrics, verdicts
from services.plumbing.contracts.actions import Verdict
from services.plumbing.contracts.cases import (
    Case,
    CaseEvent,
    CaseState,
    Change,
    ChangeKind,
    Correction,
)
from services.plumbing.contracts.tweets import Sentiment, Topic
from services.sla.actions import on_action
from services.sla.policies import Policy, PolicySpec
from services.sla.tweets import on_tweet
from tests.factories.readmodel import AGENT, T0, at, case, inbound
from tests.factories.sla import triaged

POLICY = Policy(PolicySpec())

TRIAGE = Verdict(topic=Topic.DELIVERY, sentiment=Sentiment.NEGATIVE, needs_reply=True)
BY_TRIAGE = case("c-1", lang="ja", queue="jp-care", model_version="lr5-b")
# an agent opened it three hours after the tweet
BY_HAND = case("c-2", opened_at=T0 + timedelta(hours=3), thread=[inbound("t-c-2", T0)],
               lang="ja", queue="jp-care", model_version="lr5-b")  # fmt: skip


def _event(subject: Case, kind: ChangeKind, agent: Verdict | None = None) -> CaseEvent:
    record = None
    if agent is not None:
        record = Correction(tweet_id=subject.opening_tweet_id, triage=TRIAGE, agent=agent,
                            agent_id=AGENT.id, at=at(5))  # fmt: skip
    return CaseEvent(
        event_id=uuid.uuid4().hex, case_version=2, occurred_at=at(5),
        change=Change(kind=kind, by=AGENT, correction=record), case=subject,
    )  # fmt: skip


RESOLVED = {"state": CaseState.RESOLVED}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        # a correction: each field the agent said, against triage's
        (
            _event(BY_TRIAGE, ChangeKind.CORRECTED, Verdict(topic=Topic.BILLING)),
            [("topic", "overturned")],
        ),
        (
            _event(
                BY_TRIAGE,
                ChangeKind.CORRECTED,
                Verdict(topic=Topic.DELIVERY, sentiment=Sentiment.NEUTRAL),
            ),
            [("topic", "agreed"), ("sentiment", "overturned")],
        ),
        # 対応しない and spam overturn needs-reply / spam (triage says spam only when it is)
        (
            _event(BY_TRIAGE, ChangeKind.STATE_CHANGED, Verdict(needs_reply=False)),
            [("needs_reply", "overturned")],
        ),
        (_event(BY_TRIAGE, ChangeKind.STATE_CHANGED, Verdict(spam=True)), [("spam", "overturned")]),
        # a case triage opened, resolved by an agent: its needs-reply stood
        (
            _event(BY_TRIAGE.model_copy(update=RESOLVED), ChangeKind.STATE_CHANGED),
            [("needs_reply", "agreed")],
        ),
        # opened by hand: counted at its opening, not again when resolved
        (_event(BY_HAND.model_copy(update=RESOLVED), ChangeKind.STATE_CHANGED), []),
        # automatic changes and other actions say nothing
        (_event(BY_TRIAGE, ChangeKind.CLAIMED), []),
        (_event(BY_TRIAGE, ChangeKind.SLA_BREACH), []),
    ],
)
def test_what_each_case_event_says_of_triage(
    event: CaseEvent, expected: list[tuple[str, str]]
) -> None:
    found = verdicts(event)
    assert [(v.label, v.verdict) for v in found] == expected
    assert {(v.queue, v.lang, v.model_version) for v in found} <= {("jp-care", "ja", "lr5-b")}


def test_the_counter_is_by_label_queue_language_version_and_verdict() -> None:
    registry = CollectorRegistry()
    metrics = AgreementMetrics(registry)
    by_a = BY_TRIAGE.model_copy(update={"model_version": "lr5-a"})
    metrics.count(_event(by_a, ChangeKind.CORRECTED, Verdict(topic=Topic.BILLING)))
    metrics.count(_event(by_a, ChangeKind.CORRECTED, Verdict(topic=Topic.BILLING)))
    # a case of an earlier producer does not know its version
    earlier = BY_TRIAGE.model_copy(update={**RESOLVED, "model_version": None})
    metrics.count(_event(earlier, ChangeKind.STATE_CHANGED))
    labels = {"queue": "jp-care", "lang": "ja"}
    assert registry.get_sample_value("tweetcare_triage_agent_verdicts_total", {
        **labels, "label": "topic", "model_version": "lr5-a", "verdict": "overturned",
    }) == 2  # fmt: skip
    assert registry.get_sample_value("tweetcare_triage_agent_verdicts_total", {
        **labels, "label": "needs_reply", "model_version": "unknown", "verdict": "agreed",
    }) == 1  # fmt: skip


def test_a_case_carries_the_model_version_that_triaged_its_opening_tweet() -> None:
    tweet = triaged("1", T0).model_copy(update={"model_version": "lr5-20261202-aaaa"})
    opened = on_tweet((), tweet, POLICY).book[0].case
    assert opened.model_version == "lr5-20261202-aaaa"
    # a follow-up decided by a newer model leaves the case with its opening tweet's version
    later = triaged("2", T0 + timedelta(minutes=5)).model_copy(update={"model_version": "lr5-b"})
    threaded = on_tweet(on_tweet((), tweet, POLICY).book, later, POLICY).book[0].case
    assert threaded.model_version == "lr5-20261202-aaaa"


def test_a_case_opened_by_hand_carries_the_version_of_the_tweet_document() -> None:
    let_go = triaged("7", T0, needs_reply=False).model_copy(update={"model_version": "lr5-a"})
    doc = tweet_document(let_go)
    action = open_case(doc, AGENT, OpenBody(reason="missed"), T0 + timedelta(hours=1))
    assert action.tweet.model_version == "lr5-a"
    step = on_action((), action, POLICY, T0 + timedelta(hours=1))
    (event,) = step.events
    assert event.case.model_version == "lr5-a"
    assert [(v.label, v.model_version, v.verdict) for v in verdicts(event)] == [
        ("needs_reply", "lr5-a", "overturned")
    ]
