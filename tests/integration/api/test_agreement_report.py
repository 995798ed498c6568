"""The agreement report (GET /v1/stats/agreement) on the real Elasticsearch: case events indexed
as the indexer writes them (their documents carry the agents' verdicts), counted by label, queue,
language and model version against hand-counted figures; the window, the queue filter and one
label's verdicts; supervisors only."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from services.api.readmodel.documents import case_operations
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
from tests.integration.api.harness import Api, running_api

pytestmark = [pytest.mark.elasticsearch]

TRIAGE = Verdict(topic=Topic.DELIVERY, sentiment=Sentiment.NEGATIVE, needs_reply=False)
A, B = "lr5-20261201-aaaa", "lr5-20261202-bbbb"


def _event(
    subject: Case, kind: ChangeKind, agent: Verdict | None, minutes: float, triage: Verdict = TRIAGE
) -> CaseEvent:
    record = None
    if agent is not None:
        record = Correction(tweet_id=subject.opening_tweet_id, triage=triage, agent=agent,
                            agent_id=AGENT.id, at=at(minutes))  # fmt: skip
    return CaseEvent(
        event_id=uuid.uuid4().hex, case_version=2, occurred_at=at(minutes),
        change=Change(kind=kind, by=AGENT, correction=record), case=subject,
    )  # fmt: skip


EN_A = case("c-1", lang="en", queue="care-en", model_version=A)
JA_A = case("c-2", lang="ja", queue="care-ja", model_version=A,
            opened_at=T0 + timedelta(hours=1), thread=[inbound("t-c-2", T0)])  # fmt: skip
EN_B = case("c-3", lang="en", queue="care-en", model_version=B)
EVENTS = [
    # A: the topic overturned, the sentiment agreed with
    _event(
        EN_A, ChangeKind.CORRECTED, Verdict(topic=Topic.BILLING, sentiment=Sentiment.NEGATIVE), 5
    ),
    # A: opened by hand (要対応): needs-reply overturned
    _event(JA_A, ChangeKind.OPENED, Verdict(needs_reply=True), 6),
    # B: a case triage opened, resolved: needs-reply agreed with
    _event(
        EN_B.model_copy(update={"state": CaseState.RESOLVED}), ChangeKind.STATE_CHANGED, None, 7
    ),
    # B: 対応しない on a case triage opened: needs-reply overturned
    _event(
        EN_B.model_copy(update={"case_id": "c-4", "state": CaseState.CLOSED_NO_REPLY}),
        ChangeKind.STATE_CHANGED,
        Verdict(needs_reply=False),
        8,
        triage=Verdict(needs_reply=True),
    ),
    # says nothing of triage
    _event(EN_B, ChangeKind.CLAIMED, None, 9),
    # before the window
    _event(EN_A, ChangeKind.CORRECTED, Verdict(topic=Topic.OTHER), -60 * 24),
]
WINDOW = {"since": at(0).isoformat(), "until": at(60).isoformat()}


async def _index(api: Api) -> None:
    body = []
    for event in EVENTS:  # the events' documents (the case documents are not read here)
        meta, source = case_operations(event, api.state.prefix)[1]
        body += [meta, source]
    answer = await api.state.es.bulk(operations=body, refresh=True)
    assert not answer["errors"], answer


def _rows(got: list[dict[str, object]]) -> dict[object, tuple[object, ...]]:
    return {r["group"]: (r["agreed"], r["overturned"], r["overturn_rate"]) for r in got}


def test_the_agreement_report_counts_agents_verdicts_by_label_queue_language_and_version() -> None:
    asyncio.run(_report())


async def _report() -> None:
    async with running_api() as api:
        await _index(api)
        boss = api.client(await api.token("supervisor", "Boss"))
        agent = api.client(await api.token("agent", "Aiko"))
        async with boss, agent:

            async def rows(**params: str) -> dict[object, tuple[object, ...]]:
                got = await boss.get("/v1/stats/agreement", params={**WINDOW, **params})
                assert got.status_code == 200, got.text
                return _rows(got.json())

            # counted by hand from EVENTS: (agreed, overturned, overturn rate)
            assert await rows(by="model_version") == {A: (1, 2, 0.6667), B: (1, 1, 0.5)}
            assert await rows(by="label") == {
                "needs_reply": (1, 2, 0.6667), "sentiment": (1, 0, 0.0), "topic": (0, 1, 1.0),
            }  # fmt: skip
            assert await rows(by="lang") == {"en": (2, 2, 0.5), "ja": (0, 1, 1.0)}
            assert await rows(by="queue", label="needs_reply") == {
                "care-en": (1, 1, 0.5), "care-ja": (0, 1, 1.0),
            }  # fmt: skip
            assert await rows(by="model_version", queue="care-ja") == {A: (0, 1, 1.0)}
            assert await rows(by="label", since=at(100).isoformat(),
                              until=at(200).isoformat()) == {}  # fmt: skip
            assert (await agent.get("/v1/stats/agreement", params=WINDOW)).status_code == 403
            bad = await boss.get("/v1/stats/agreement", params={**WINDOW, "by": "agent"})
            assert bad.status_code == 422
