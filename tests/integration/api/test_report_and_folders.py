"""The report's figures by handle and by agent (and as CSV) against hand-computed ones, from
case documents on the real Elasticsearch; saved searches shared with the team (or a queue's)
are seen and exported by colleagues and deleted only by their maker."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import pytest

from services.api.readmodel.indices import CASES, index_name
from tests.integration.api.harness import Api, running_api

pytestmark = [pytest.mark.elasticsearch]

WINDOW = {"since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z"}


def case(
    case_id: str, handle: str, queue: str, state: str, agent: str | None = None,
    first_response_s: float | None = None, sla: str | None = None,
    opened_at: str = "2026-01-01T09:00:00Z",
) -> dict[str, Any]:  # fmt: skip
    doc: dict[str, Any] = {
        "case_id": case_id, "brand": "acme", "handle": handle, "queue": queue, "state": state,
        "opened_at": opened_at, "channel": "public",
    }  # fmt: skip
    if agent:
        doc["assignee"] = {"id": f"id-{agent}", "name": agent, "role": "agent"}
    if first_response_s is not None:
        doc["first_response_at"] = "2026-01-01T09:10:00Z"
        doc["first_response_seconds"] = first_response_s
    if sla:
        doc["sla"] = {"first_response": sla}
    return doc


CASES_DOCS = [
    case("c1", "acme_jp", "active-support", "resolved", "Aiko", 60, "met"),
    case("c2", "acme_jp", "active-support", "assigned", "Aiko", 120, "met"),
    case("c3", "acme_jp", "active-support", "new", "Ben", None, "breached"),
    case("c4", "acme_jp", "care-ja", "closed_no_reply"),  # needed no reply
    case("c5", "AcmeHelp", "care-en", "resolved", "Ben", 300, "breached"),
    case("c6", "AcmeHelp", "care-en", "spam", "Ben"),  # spam: left out
    case("c7", "acme_jp", "care-ja", "new", opened_at="2025-12-31T23:00:00Z"),  # before
]
FIGURES = (
    "cases", "needs_reply", "replied", "resolved", "support_rate", "resolution_rate",
    "first_response_p50", "first_response_p90", "sla_attainment",
)  # fmt: skip
# By hand: acme_jp holds c1-c4 (c4 needed no reply; replied c1, c2; resolved c1; first
# responses 60 and 120 s, p50 = 90, p90 = 60 + 0.9 × 60 = 114; met 2 of 3); AcmeHelp c5 only.
BY_HANDLE = {
    "acme_jp": (4, 3, 2, 1, 0.6667, 0.3333, 90.0, 114.0, 0.6667),
    "acmehelp": (1, 1, 1, 1, 1.0, 1.0, 300.0, 300.0, 0.0),
}
# Aiko held c1, c2; Ben c3, c5 (c6 is spam); c4 was never held.
BY_AGENT = {
    "Aiko": (2, 2, 2, 1, 1.0, 0.5, 90.0, 114.0, 1.0),
    "Ben": (2, 2, 1, 1, 0.5, 0.5, 300.0, 300.0, 0.0),
}


async def _index_cases(api: Api) -> None:
    es, index = api.state.es, index_name(api.state.prefix, CASES)
    for doc in CASES_DOCS:
        await es.index(index=index, id=doc["case_id"], document=doc)
    await es.indices.refresh(index=index)


def test_report_figures_by_handle_and_agent_are_the_hand_computed_ones() -> None:
    asyncio.run(_report())


async def _report() -> None:
    async with running_api() as api:
        await _index_cases(api)
        boss = api.client(await api.token("supervisor", "Boss"))
        agent = api.client(await api.token("agent", "Aiko"))
        async with boss, agent:
            for group_by, expected in (("handle", BY_HANDLE), ("agent", BY_AGENT)):
                got = await boss.get("/v1/stats/cases", params={**WINDOW, "group_by": group_by})
                assert got.status_code == 200, got.text
                rows = {r["group"]: tuple(r[f] for f in FIGURES) for r in got.json()}
                assert rows == expected, group_by
            exported = await boss.get("/v1/stats/cases.csv", params={**WINDOW, "group_by": "agent"})
            assert exported.status_code == 200, exported.text
            assert exported.headers["content-type"].startswith("text/csv")
            assert "attachment" in exported.headers["content-disposition"]
            table = list(csv.DictReader(io.StringIO(exported.text)))
            assert [(r["agent"], r["support_rate"], r["resolution_rate"]) for r in table] == [
                ("Aiko", "1.0", "0.5"), ("Ben", "0.5", "0.5"),
            ]  # fmt: skip
            overall = await boss.get("/v1/stats/cases", params={**WINDOW, "group_by": "all"})
            assert [
                (r["group"], r["cases"], r["replied"], r["support_rate"]) for r in overall.json()
            ] == [(None, 5, 3, 0.75)]  # c1-c5: 4 needed a reply, 3 answered
            assert (await agent.get("/v1/stats/cases.csv", params=WINDOW)).status_code == 403
            bad = await boss.get("/v1/stats/cases", params={**WINDOW, "group_by": "tweet"})
            assert bad.status_code == 422


def test_a_shared_folder_is_seen_and_exported_by_colleagues_and_deleted_by_its_maker() -> None:
    asyncio.run(_folders())


async def _folders() -> None:
    async with running_api() as api:
        aiko = api.client(await api.token("agent", "Aiko"))
        ben = api.client(await api.token("agent", "Ben"))
        async with aiko, ben:
            search = {"target": "cases", "queue": ["active-support"]}
            shared = await aiko.post("/v1/saved-searches", json={
                "name": "アクティブサポート", "search": search, "visibility": "shared",
                "queue": "active-support"})  # fmt: skip
            assert shared.status_code == 201, shared.text
            private = await aiko.post("/v1/saved-searches", json={"name": "mine", "search": search})
            assert private.status_code == 201, private.text
            assert private.json()["visibility"] == "private"
            body = {"name": "x", "search": search, "visibility": "private", "queue": "care-ja"}
            refused = await aiko.post("/v1/saved-searches", json=body)
            assert refused.status_code == 422
            seen = (await ben.get("/v1/saved-searches")).json()
            assert [(f["name"], f["visibility"], f["queue"]) for f in seen] == [
                ("アクティブサポート", "shared", "active-support")
            ]
            assert sorted(f["name"] for f in (await aiko.get("/v1/saved-searches")).json()) == [
                "mine", "アクティブサポート"
            ]  # fmt: skip
            shared_id, private_id = shared.json()["id"], private.json()["id"]
            export = await ben.get(f"/v1/saved-searches/{shared_id}/export.csv")
            assert export.status_code == 200, export.text
            assert export.text.startswith("case_id,")
            assert (await ben.get(f"/v1/saved-searches/{private_id}/export.csv")).status_code == 404
            assert (await ben.delete(f"/v1/saved-searches/{shared_id}")).status_code == 404
            assert (await aiko.delete(f"/v1/saved-searches/{shared_id}")).status_code == 204
            assert (await ben.get("/v1/saved-searches")).json() == []
