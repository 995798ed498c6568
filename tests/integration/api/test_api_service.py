"""`tweetcare api run` with `tweetcare sla run`, on the real broker and Elasticsearch: tokens and
roles, queues, the claim collision (one 200, one 409), replies (PII, length, DM-only), a case
with its thread, search in Japanese, canned replies, statistics, CSV export, the live stream
resumed by Last-Event-ID, and errors with stable codes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer

from services.plumbing.contracts.codecs import TWEETS_TRIAGED
from services.plumbing.contracts.common import Channel
from services.plumbing.contracts.tweets import Author, PiiKind, TriagedTweet
from tests.factories.sla import triaged
from tests.integration.scrape import page, wait_for_sample
from tests.integration.workers import ROOT, free_port, worker

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

POLICY = "default: {first_response: 1h, next_response: 1h, resolution: 1d}\n"
KUMIKO = Author(id="4001", handle="kumiko_t", name="Kumiko", followers=210)
DAN = Author(id="4003", handle="dan_dm", name="Dan", followers=12)


def _tweet(
    tweet_id: str, text: str, customer: Author, *, lang: str = "en",
    channel: Channel = Channel.PUBLIC, pii: list[PiiKind] | None = None,
) -> TriagedTweet:  # fmt: skip
    base = triaged(tweet_id, datetime.now(UTC), conversation=tweet_id, customer=customer,
                   channel=channel, queue="care")  # fmt: skip
    tweet = base.tweet.model_copy(update={"text": text, "case_key": f"acme:{customer.id}"})
    if channel == Channel.DM:
        tweet = tweet.model_copy(update={"dm_conversation_id": f"{customer.id}-9000"})
    triage = base.triage.model_copy(update={"lang": lang, "pii": pii or [], "redacted_text": text})
    return base.model_copy(update={"tweet": tweet, "triage": triage})


class System:
    def __init__(self, base: str, env: dict[str, str]) -> None:
        self.base = base
        self.env = env
        self.tokens: dict[str, str] = {}

    def token(self, name: str, role: str) -> str:
        made = subprocess.run(
            [sys.executable, "-m", "services.cli", "api", "token", "create", "--name", name,
             "--role", role], env=self.env, cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return made.stdout.strip()

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)


@pytest.fixture
def system(
    fresh_topics: Any, kafka_bootstrap: str, tmp_path: Path
) -> Iterator[tuple[System, dict[str, str]]]:
    names = ["triaged", "actions", "results", "events", "outbox", "state"]
    topics = dict(zip(names, fresh_topics(*names), strict=True))
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    prefix = f"t{uuid.uuid4().hex[:10]}"
    port = free_port()
    env = {
        **os.environ,
        "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TWEETCARE_ES_INDEX_PREFIX": prefix,
        "TWEETCARE_SLA_APP_ID": f"test-sla-{prefix}",
        "TWEETCARE_SLA_TRIAGED_TOPIC": topics["triaged"],
        "TWEETCARE_SLA_ACTIONS_TOPIC": topics["actions"],
        "TWEETCARE_SLA_RESULTS_TOPIC": topics["results"],
        "TWEETCARE_SLA_EVENTS_TOPIC": topics["events"],
        "TWEETCARE_SLA_OUTBOX_TOPIC": topics["outbox"],
        "TWEETCARE_SLA_STATE_TOPIC": topics["state"],
        "TWEETCARE_SLA_POLICY": str(policy),
        "TWEETCARE_SLA_METRICS_PORT": str(free_port()),
        "TWEETCARE_API_PORT": str(port),
        "TWEETCARE_API_TWEETS_TOPIC": topics["triaged"],
        "TWEETCARE_API_CASES_TOPIC": topics["events"],
        "TWEETCARE_API_ACTIONS_TOPIC": topics["actions"],
        "TWEETCARE_API_INDEXER_GROUP": f"test-indexer-{prefix}",
        "TWEETCARE_API_TOKEN_CACHE_S": "0",
    }
    with worker(["services.cli", "sla", "run"], env, tmp_path / "sla.log"), \
         worker(["services.cli", "api", "run"], env, tmp_path / "api.log"):  # fmt: skip
        sys_ = System(f"http://127.0.0.1:{port}", env)
        _until(lambda: _get(sys_.base + "/readyz") == 200, 60, "api ready")
        yield sys_, topics
    httpx.request("DELETE", f"http://127.0.0.1:9200/{prefix}-*")


def _get(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0


def _until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _sse(
    base: str, token: str, queue: str, last_id: str | None, want: int, timeout: float,
    stop_at: str | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Read case events from the live stream until ``want`` came or ``stop_at`` did."""
    headers = {"Authorization": f"Bearer {token}"}
    if last_id:
        headers["Last-Event-ID"] = last_id
    got: list[dict[str, Any]] = []
    with httpx.stream(
        "GET", f"{base}/v1/queues/{queue}/stream", headers=headers, timeout=timeout
    ) as r:
        assert r.status_code == 200
        current: dict[str, Any] = {}
        for line in r.iter_lines():
            if line.startswith("id: "):
                current["id"] = line[4:]
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and current:
                got.append(current)
                current = {}
                if stop_at is not None and got[-1].get("id") == stop_at:
                    break
                if stop_at is None and len([g for g in got if g.get("event") == "case"]) >= want:
                    break
    return got


def test_api_end_to_end(system: tuple[System, dict[str, str]], kafka_bootstrap: str) -> None:
    sys_, topics = system
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for tweet in (
        _tweet("7001", "@acme_jp my parcel is late", KUMIKO),
        _tweet(
            "7002",
            "@acme_jp 荷物がまだ届きません",
            Author(id="4002", handle="hana_j", name="Hana"),
            lang="ja",
        ),
        _tweet(
            "7003",
            "my order 123-4567890 is wrong",
            DAN,
            channel=Channel.DM,
            pii=[PiiKind.ORDER_NUMBER],
        ),
    ):
        producer.send(
            topics["triaged"], key=tweet.tweet.case_key.encode(), value=TWEETS_TRIAGED.encode(tweet)
        )
    producer.flush()

    agent_a, agent_b = sys_.token("Aiko", "agent"), sys_.token("Ben", "agent")
    boss, reader = sys_.token("Sachiko", "supervisor"), sys_.token("CRM", "integrator")
    a, b, sup, ro, anon = (sys_.client(t) for t in (agent_a, agent_b, boss, reader, None))
    bad = sys_.client("tc_not-a-token")

    # no endpoint but health answers without a token; roles are enforced with stable codes
    assert anon.get("/healthz").status_code == 200
    assert anon.get("/v1/queues").json()["error"]["code"] == "missing_token"
    assert bad.get("/v1/queues").json()["error"]["code"] == "invalid_token"

    def care_queue() -> dict[str, Any] | None:
        return next((q for q in a.get("/v1/queues").json() if q["queue"] == "care"), None)

    queue = _until(lambda: (q := care_queue()) and q["open"] == 3 and q, 60, "3 open cases")
    assert queue["unassigned"] == 3
    cases = a.get("/v1/queues/care/cases").json()["items"]
    by_customer = {c["case"]["customer"]["id"]: c["case"] for c in cases}
    kumiko, dan = by_customer["4001"], by_customer["4003"]

    forbidden = ro.post(f"/v1/cases/{kumiko['case_id']}/claim", json={})
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "forbidden_role"
    assert (
        a.post(f"/v1/cases/{kumiko['case_id']}/transfer", json={"queue": "vip"}).status_code == 403
    )
    invalid = sup.post(f"/v1/cases/{kumiko['case_id']}/transfer", json={"queue": "no spaces!"})
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid_input"
    assert a.get("/v1/cases/nope").json()["error"]["code"] == "case_not_found"

    # the live stream, read from now; the claim collision: one 200, one 409
    stream_token = agent_a

    async def claim_both() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=sys_.base, timeout=30) as c:
            return list(await asyncio.gather(*(
                c.post(f"/v1/cases/{kumiko['case_id']}/claim", json={},
                       headers={"Authorization": f"Bearer {t}"}) for t in (agent_a, agent_b)
            )))  # fmt: skip

    answers = asyncio.run(claim_both())
    assert sorted(r.status_code for r in answers) == [200, 409]
    lost = next(r for r in answers if r.status_code == 409).json()
    assert lost["error"]["code"] == "claimed_by_other"
    won = next(r for r in answers if r.status_code == 200).json()
    assert won["case"]["assignee"]["name"] in {"Aiko", "Ben"}
    holder = a if won["case"]["assignee"]["name"] == "Aiko" else b

    # replies: personal data in public refused, too long refused, a DM case only by DM
    pii = holder.post(f"/v1/cases/{kumiko['case_id']}/reply", json={"text": "call 090-1234-5678"})
    assert pii.status_code == 422
    assert pii.json()["error"]["code"] == "pii_in_public_reply"
    long = holder.post(f"/v1/cases/{kumiko['case_id']}/reply", json={"text": "遅" * 141})
    assert long.json()["error"]["code"] == "reply_too_long"
    dm_public = a.post(
        f"/v1/cases/{dan['case_id']}/reply", json={"text": "Sorry!", "channel": "public"}
    )
    assert dm_public.status_code == 409
    assert dm_public.json()["error"]["code"] == "dm_case_public_reply"

    # canned replies: supervisors write, agents read; variables filled from the case
    assert (
        a.post("/v1/canned-replies", json={"name": "x", "lang": "en", "text": "hi"}).status_code
        == 403
    )
    unknown = sup.post("/v1/canned-replies", json={"name": "x", "lang": "en", "text": "{nope}"})
    assert unknown.json()["error"]["code"] == "unknown_variable"
    canned = sup.post("/v1/canned-replies", json={"name": "Sorry", "lang": "en",
                      "text": "Sorry {customer_name}, we are on it."}).json()  # fmt: skip
    assert [c["id"] for c in a.get("/v1/canned-replies?lang=en").json()] == [canned["id"]]
    sent = holder.post(f"/v1/cases/{kumiko['case_id']}/reply",
                       json={"canned_id": canned["id"], "signature": "AK"})  # fmt: skip
    assert sent.status_code == 200, sent.text
    assert sent.json()["text"] == "Sorry Kumiko, we are on it. ^AK"

    # the case with its thread and history
    history = {"opened", "claimed", "action_rejected", "reply_requested"}

    def case_detail() -> dict[str, Any]:
        return dict(a.get(f"/v1/cases/{kumiko['case_id']}").json())

    detail = _until(lambda: (d := case_detail()) and history <= {e["kind"] for e in d["events"]}
                    and d, 30, "case history")  # fmt: skip
    assert [t["tweet_id"] for t in detail["tweets"]] == ["7001"]
    versions = [e["case_version"] for e in detail["events"]]
    assert versions == sorted(versions)

    # search: Japanese text is findable; export streams CSV
    def search_ja() -> dict[str, Any]:
        return dict(ro.post("/v1/search", json={"text": "届きません"}).json())

    found = _until(lambda: (s := search_ja())["total"] and s, 30, "search")
    assert [h["tweet_id"] for h in found["hits"]] == ["7002"]
    assert ro.post("/v1/search", json={"target": "tweets", "state": ["new"]}).status_code == 400
    csv = ro.post("/v1/search/export", json={"target": "tweets"})
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 4  # header + 3 tweets

    # statistics: supervisors and integrators, not agents
    assert a.get("/v1/stats/cases").status_code == 403
    stats = sup.get("/v1/stats/cases").json()
    assert next(s for s in stats if s["group"] == "care")["cases"] == 3

    # live stream: a new event arrives live; a reconnect after a known id replays what followed
    live: list[dict[str, Any]] = []
    reader_thread = threading.Thread(
        target=lambda: live.extend(_sse(sys_.base, stream_token, "care", None, 1, 30))
    )
    reader_thread.start()
    wait_for_sample(page(f"{sys_.base}/metrics"), "tweetcare_api_live_streams 1.0")
    resolved = holder.post(f"/v1/cases/{kumiko['case_id']}/resolve", json={})
    assert resolved.status_code == 200
    reader_thread.join(30)
    assert [e["id"] for e in live if e.get("event") == "case"] == [resolved.json()["event_id"]]
    tagged = holder.post(f"/v1/cases/{kumiko['case_id']}/tag", json={"add": ["late"]})
    assert tagged.status_code == 200
    resumed = _sse(
        sys_.base, stream_token, "care", won["event_id"], 0, 30, tagged.json()["event_id"]
    )
    ids = [e["id"] for e in resumed if e.get("event") == "case"]
    wanted = [sent.json()["event_id"], resolved.json()["event_id"], tagged.json()["event_id"]]
    assert [i for i in ids if i in wanted] == wanted
    assert won["event_id"] not in ids

    metrics = anon.get("/metrics").text
    assert 'tweetcare_api_actions_total{answer="rejected",kind="claim"} 1.0' in metrics
