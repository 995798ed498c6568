"""`tweetcare api run` with `tweetcare sla run`: no collisions and hand decisions (issue 14).

A reply claims an unclaimed case and another agent's reply is refused; only the holder or a
supervisor resolves, no-replies or spams a claimed case; a reply sent again with its
Idempotency-Key is the same reply, posted once; an agent opens a case from a tweet triage let go
(and gets the same case when it has one), corrects triage, closes a case as 対応しない; the
events say what triage said and what the agent said."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kafka import KafkaProducer

from services.plumbing.contracts.codecs import CASES_EVENTS, OUTBOX_REPLIES, TWEETS_TRIAGED
from services.plumbing.contracts.tweets import Author, Topic
from tests.integration.api.test_api_service import KUMIKO, System, _tweet, _until, system
from tests.integration.workers import consume

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]
__all__ = ["system"]  # the fixture, from the API's main test

HANA = Author(id="4002", handle="hana_j", name="Hana")
YUKI = Author(id="4005", handle="light_yuki", name="ゆき")
EMI = Author(id="4006", handle="emi_s", name="Emi")


def test_collisions_and_hand_decisions(
    system: tuple[System, dict[str, str]], kafka_bootstrap: str
) -> None:
    sys_, topics = system
    let_go = _tweet("8005", "Acmeのライト、買ったけど点灯しない…", YUKI, lang="ja")
    let_go = let_go.model_copy(update={"triage": let_go.triage.model_copy(
        update={"needs_reply": False, "topic": Topic.OTHER, "complaint": False})})  # fmt: skip
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for tweet in (
        _tweet("8001", "@acme_jp my parcel is late", KUMIKO),
        _tweet("8002", "@acme_jp 荷物がまだ届きません", HANA, lang="ja"),
        _tweet("8006", "@acme_jp wrong size", EMI),
        let_go,
    ):
        producer.send(topics["triaged"], key=tweet.tweet.case_key.encode(),
                      value=TWEETS_TRIAGED.encode(tweet))  # fmt: skip
    producer.flush()
    a, b, boss = (sys_.client(sys_.token(name, role)) for name, role in
                  (("Aiko", "agent"), ("Ben", "agent"), ("Sachiko", "supervisor")))  # fmt: skip

    def cases() -> dict[str, dict[str, Any]]:
        items = a.get("/v1/queues/care/cases").json()["items"]
        return {c["case"]["customer"]["id"]: c["case"] for c in items}

    by_customer = _until(lambda: (c := cases()) and len(c) == 3 and c, 60, "3 open cases")
    kumiko, hana, emi = (by_customer[c]["case_id"] for c in ("4001", "4002", "4006"))

    # A reply claims the unclaimed case; another agent's reply is then refused.
    key = str(uuid.uuid4())
    first = a.post(f"/v1/cases/{kumiko}/reply", json={"text": "Sorry! Checking."},
                   headers={"Idempotency-Key": key})  # fmt: skip
    assert first.status_code == 200, first.text
    assert first.json()["case"]["assignee"]["name"] == "Aiko"
    assert first.json()["case"]["state"] == "assigned"
    other = b.post(f"/v1/cases/{kumiko}/reply", json={"text": "Hello from Ben"},
                   headers={"Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "claimed_by_other"

    # The same key again (a retry after a lost answer): the same reply, posted once.
    again = a.post(f"/v1/cases/{kumiko}/reply", json={"text": "Sorry! Checking."},
                   headers={"Idempotency-Key": key})  # fmt: skip
    assert again.status_code == 200
    assert again.json()["action_id"] == first.json()["action_id"]
    bad_key = a.post(f"/v1/cases/{kumiko}/reply", json={"text": "x"},
                     headers={"Idempotency-Key": "not a key!"})  # fmt: skip
    assert (bad_key.status_code, bad_key.json()["error"]["code"]) == (422, "invalid_input")

    # Only the holder or a supervisor closes a claimed case.
    for kind, body in (("resolve", {}), ("no-reply", {"reason": "chatter"}), ("spam", {})):
        refused = b.post(f"/v1/cases/{kumiko}/{kind}", json=body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "claimed_by_other")
    assert b.post(f"/v1/cases/{hana}/claim", json={}).status_code == 200
    by_boss = boss.post(f"/v1/cases/{hana}/resolve", json={})
    assert (by_boss.status_code, by_boss.json()["case"]["state"]) == (200, "resolved")
    assert a.post(f"/v1/cases/{kumiko}/resolve", json={}).status_code == 200

    # 対応しない with a reason; triage corrected.
    no = a.post(f"/v1/cases/{emi}/no-reply", json={"reason": "a sizing question, answered"})
    assert (no.status_code, no.json()["case"]["state"]) == (200, "closed_no_reply")
    fixed = a.post(f"/v1/cases/{emi}/correct", json={"topic": "returns_refunds"})
    assert (fixed.status_code, fixed.json()["case"]["topic"]) == (200, "returns_refunds")
    empty = a.post(f"/v1/cases/{emi}/correct", json={})
    assert (empty.status_code, empty.json()["error"]["code"]) == (422, "invalid_input")

    # 要対応: a case from a tweet triage let go; asking again gives the same case.
    def open_it() -> Any:
        return a.post("/v1/tweets/8005/case", json={"reason": "product fault"})

    opened = _until(lambda: (r := open_it()).status_code != 404 and r, 30, "tweet indexed")
    assert (opened.status_code, opened.json()["code"]) == (200, "ok"), opened.text
    case = opened.json()["case"]
    assert (case["state"], case["opening_tweet_id"], case["topic"]) == ("new", "8005", "other")
    twice = _until(lambda: (r := open_it()).json()["code"] == "already_open" and r, 30, "indexed")
    assert twice.json()["case"]["case_id"] == case["case_id"]
    missing = a.post("/v1/tweets/9999/case", json={})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "tweet_not_found")

    # Exactly one reply reached the outbox; the events carry triage's verdict and the agent's.
    posted = [OUTBOX_REPLIES.decode(v) for v in consume(kafka_bootstrap, topics["outbox"], 2, 5)]
    assert [r.case_id for r in posted] == [kumiko]
    events = [CASES_EVENTS.decode(v) for v in consume(kafka_bootstrap, topics["events"], 10**6, 5)]
    said = {
        (e.change.kind.value, e.change.correction.triage.topic,
         tuple(e.change.correction.agent.said().items()))
        for e in events
        if e.change.correction is not None
        and e.case.case_id in (emi, case["case_id"])
    }  # fmt: skip
    assert said == {
        ("state_changed", Topic.DELIVERY, (("needs_reply", False),)),
        ("corrected", Topic.DELIVERY, (("topic", Topic.RETURNS_REFUNDS),)),
        ("opened", Topic.OTHER, (("needs_reply", True),)),
    }
    repeats = [e for e in events if e.outcome is not None and e.outcome.code == "repeat"]
    assert repeats == []  # the API knew the answer: the retry was never sent
