"""`tweetcare sla run` through the real broker decides reply collisions in partition order: of two
agents replying at once to an unclaimed case, one reply claims it and goes to the outbox, the
other is refused (claimed_by_other); the winner's reply sent again with its idempotency key is
answered as a repeat and never reaches the outbox a second time."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from services.plumbing.contracts.actions import Reply
from services.plumbing.contracts.cases import CaseEvent
from services.plumbing.contracts.codecs import AGENT_ACTIONS, OUTBOX_REPLIES, TWEETS_TRIAGED
from tests.factories.sla import AGENT_A, AGENT_B, action, triaged
from tests.integration.sla.test_sla_service import _events, _setup
from tests.integration.workers import consume, worker

pytestmark = pytest.mark.kafka


def _reply(case_id: str, who: Any, key: str) -> Reply:
    made = action("reply", case_id, datetime.now(UTC), who, reply_id=f"r-{key}",
                  text="Sorry! Checking.", channel="public", idempotency_key=key)  # fmt: skip
    assert isinstance(made, Reply)
    return made


def _outcome(events: list[CaseEvent], action_id: str, code: str | None = None) -> CaseEvent | None:
    return next((e for e in events if e.outcome is not None and e.outcome.action_id == action_id
                 and (code is None or e.outcome.code == code)), None)  # fmt: skip


def test_two_replies_race_one_claims_and_posts_and_a_retry_posts_nothing(
    kafka_bootstrap: str, fresh_topics: Any, tmp_path: Path
) -> None:
    topics, env = _setup(fresh_topics, tmp_path, kafka_bootstrap)
    producers = [KafkaProducer(bootstrap_servers=kafka_bootstrap) for _ in range(2)]
    opening = triaged("6001", datetime.now(UTC), conversation="6001")
    producers[0].send(topics["triaged"], key=b"acme:4001", value=TWEETS_TRIAGED.encode(opening))
    producers[0].flush()
    with worker(["services.cli", "sla", "run"], env, tmp_path / "sla.log") as proc:
        case_id = _events(kafka_bootstrap, topics["events"], lambda e: len(e) >= 1, proc)[
            0
        ].case.case_id
        replies = {AGENT_A.id: _reply(case_id, AGENT_A, uuid.uuid4().hex),
                   AGENT_B.id: _reply(case_id, AGENT_B, uuid.uuid4().hex)}  # fmt: skip
        go = threading.Barrier(2)

        def send(producer: KafkaProducer, reply: Reply) -> None:
            go.wait()
            producer.send(topics["actions"], key=b"acme:4001", value=AGENT_ACTIONS.encode(reply))
            producer.flush()

        racers = [threading.Thread(target=send, args=(p, r))
                  for p, r in zip(producers, replies.values(), strict=True)]  # fmt: skip
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(30)
        ids = [r.event_id for r in replies.values()]
        events = _events(kafka_bootstrap, topics["events"],
                         lambda e: all(_outcome(e, i) for i in ids), proc)  # fmt: skip
        answers = {who: _outcome(events, r.event_id) for who, r in replies.items()}
        statuses = sorted((e.outcome.status, e.outcome.code) for e in answers.values()
                          if e is not None and e.outcome is not None)  # fmt: skip
        assert statuses == [("applied", "ok"), ("rejected", "claimed_by_other")]
        winner = next(
            w for w, e in answers.items() if e and e.outcome and e.outcome.status == "applied"
        )
        won = answers[winner]
        assert won is not None
        assert won.case.assignee is not None
        assert won.case.assignee.id == winner

        # The winner's client retries (its answer was lost): the same action, the same key.
        retry = replies[winner]
        producers[0].send(topics["actions"], key=b"acme:4001", value=AGENT_ACTIONS.encode(retry))
        producers[0].flush()

        def repeated(e: list[CaseEvent]) -> bool:
            return _outcome(e, retry.event_id, "repeat") is not None

        events = _events(kafka_bootstrap, topics["events"], repeated, proc)
        repeat = _outcome(events, retry.event_id, "repeat")
        assert repeat is not None
        # The repeat changes nothing: it repeats the case's version as it was just before it
        # (a warning may have fired since the winner's reply: 4 s clocks).
        before = events[: events.index(repeat)]
        latest = max(e.case_version for e in before if e.case.case_id == won.case.case_id)
        assert repeat.case_version == latest >= won.case_version
        posted = consume(kafka_bootstrap, topics["outbox"], 2, timeout_s=5, proc=proc)
        outbox = [OUTBOX_REPLIES.decode(v) for v in posted]
        assert [r.reply_id for r in outbox] == [retry.reply_id]
    for producer in producers:
        producer.close()
