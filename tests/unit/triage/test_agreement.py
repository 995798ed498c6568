"""Agreement as a metric: which case events say agents agreed with triage or overturned it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

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
from tests.factories.readmodel import AGENT, T0, at, case, inbound

TRIAGE = Verdict(topic=Topic.DELIVERY, sentiment=Sentiment.NEGATIVE, needs_reply=True)
BY_TRIAGE = case("c-1", lang="ja", queue="jp-care")
# an agent opened it three hours after the tweet
BY_HAND = case("c-2", opened_at=T0 + timedelta(hours=3), thread=[inbound("t-c-2", T0)],
               lang="ja", queue="jp-care")  # fmt: skip


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
    found = verdicts(event, "lr5-b")
    assert [(v.label, v.verdict) for v in found] == expected
    assert {(v.queue, v.lang, v.model_version) for v in found} <= {("jp-care", "ja", "lr5-b")}


def test_the_counter_is_by_label_queue_language_version_and_verdict() -> None:
    registry = CollectorRegistry()
    metrics = AgreementMetrics(registry)
    metrics.count(_event(BY_TRIAGE, ChangeKind.CORRECTED, Verdict(topic=Topic.BILLING)), "lr5-a")
    metrics.count(_event(BY_TRIAGE, ChangeKind.CORRECTED, Verdict(topic=Topic.BILLING)), "lr5-a")
    metrics.count(_event(BY_TRIAGE.model_copy(update=RESOLVED), ChangeKind.STATE_CHANGED))
    labels = {"queue": "jp-care", "lang": "ja"}
    assert registry.get_sample_value("tweetcare_triage_agent_verdicts_total", {
        **labels, "label": "topic", "model_version": "lr5-a", "verdict": "overturned",
    }) == 2  # fmt: skip
    assert registry.get_sample_value("tweetcare_triage_agent_verdicts_total", {
        **labels, "label": "needs_reply", "model_version": "unknown", "verdict": "agreed",
    }) == 1  # fmt: skip
