"""The API's indexer counts agents' verdicts on triage as it indexes the case events: a
correction that overturns triage's topic is one `overturned` of label topic, by queue, language
and the model version that triaged the case (tweetcare_triage_agent_verdicts_total, issue 18's
agreement metric)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from elasticsearch import AsyncElasticsearch, Elasticsearch
from kafka import KafkaProducer

from services.api.readmodel.indexer import Indexer
from services.api.readmodel.rebuild import topic_offsets, wait_caught_up
from services.localinfra.settings import InfraSettings
from services.plumbing.contracts.actions import Verdict
from services.plumbing.contracts.cases import CaseEvent, Change, ChangeKind, Correction
from services.plumbing.contracts.codecs import CASES_EVENTS
from services.plumbing.contracts.tweets import Sentiment, Topic
from services.plumbing.metrics import new_registry
from tests.factories.readmodel import AGENT, at, case
from tests.integration.api.test_readmodel import config_for, drop_read_model, make_topics

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


def test_a_correction_indexed_is_counted_as_triage_overturned(
    kafka_bootstrap: str, es: Elasticsearch, infra: InfraSettings
) -> None:
    topics, delete_topics = make_topics(kafka_bootstrap, "tweets", "cases", "tdlq", "cdlq")
    prefix = f"agree-{uuid.uuid4().hex[:8]}"
    config = config_for(kafka_bootstrap, topics, prefix)
    subject = case("c-agree", lang="ja", queue="jp-care", model_version="lr5-20261202-a")
    triage = Verdict(topic=Topic.DELIVERY, sentiment=Sentiment.NEGATIVE, needs_reply=True)
    agent = Verdict(topic=Topic.BILLING)
    record = Correction(tweet_id=subject.opening_tweet_id, triage=triage, agent=agent,
                        agent_id=AGENT.id, at=at(5))  # fmt: skip
    event = CaseEvent(
        event_id=uuid.uuid4().hex, case_version=2, occurred_at=at(5), case=subject,
        change=Change(kind=ChangeKind.CORRECTED, by=AGENT, correction=record),
    )  # fmt: skip
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(
        config.cases_topic, key=subject.case_key.encode(), value=CASES_EVENTS.encode(event)
    )
    producer.flush()
    producer.close()
    registry = new_registry()

    async def index() -> None:
        offsets = await topic_offsets(config.bootstrap, [config.tweets_topic, config.cases_topic])
        async with AsyncElasticsearch(infra.es_url, request_timeout=30) as client:
            indexer = Indexer(client, config, registry=registry)
            stop = asyncio.Event()
            task = asyncio.create_task(indexer.run(stop))
            try:
                await wait_caught_up(indexer, offsets, task=task, timeout=60)
            finally:
                stop.set()
                await task

    try:
        asyncio.run(index())
    finally:
        drop_read_model(es, prefix)
        delete_topics()
    labels = {"label": "topic", "queue": "jp-care", "lang": "ja", "model_version": "lr5-20261202-a"}
    assert (
        registry.get_sample_value(
            "tweetcare_triage_agent_verdicts_total", {**labels, "verdict": "overturned"}
        )
        == 1
    )
    assert (
        registry.get_sample_value(
            "tweetcare_triage_agent_verdicts_total", {**labels, "verdict": "agreed"}
        )
        is None
    )
