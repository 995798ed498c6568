"""The API's own documents (saved searches, canned replies, tokens) on the real Elasticsearch:
a saved search must be a search, and every index has an explicit mapping, so no request can
map a field that breaks the next write for everyone."""

from __future__ import annotations

import asyncio

import pytest
from elasticsearch import AsyncElasticsearch, BadRequestError

from services.api.readmodel.indices import CANNED, SAVED_SEARCHES, TOKENS, ensure_indices
from tests.integration.api.harness import running_api

pytestmark = [pytest.mark.elasticsearch]


def test_a_saved_search_that_is_no_search_is_refused_and_saving_goes_on() -> None:
    asyncio.run(_saved())


async def _saved() -> None:
    async with running_api() as api, api.client(await api.token("agent")) as client:
        bad = await client.post(
            "/v1/saved-searches", json={"name": "x", "search": {"text": {"x": 1}}}
        )
        assert bad.status_code == 422
        assert bad.json()["error"]["code"] == "invalid_input"
        good = await client.post(
            "/v1/saved-searches",
            json={"name": "late ones", "search": {"text": "late", "lang": ["ja"]}},
        )
        assert good.status_code == 201, good.text
        assert good.json()["search"] == {"text": "late", "lang": ["ja"]}
        mine = await client.get("/v1/saved-searches")
        assert [s["name"] for s in mine.json()] == ["late ones"]


def test_own_indices_refuse_fields_the_code_does_not_write() -> None:
    asyncio.run(_strict())


async def _strict() -> None:
    async with running_api() as api:
        await api.token("agent")  # creates the tokens index before its first write
        es: AsyncElasticsearch = api.state.es
        await ensure_indices(es, api.state.prefix)
        for kind in (TOKENS, CANNED, SAVED_SEARCHES):
            index = f"{api.state.prefix}-{kind}"
            mapping = await es.indices.get_mapping(index=index)
            assert mapping[index]["mappings"]["dynamic"] == "strict"
            with pytest.raises(BadRequestError):
                await es.index(index=index, document={"surprise": {"x": 1}})
        saved = f"{api.state.prefix}-{SAVED_SEARCHES}"
        for search in ({"text": {"x": 1}}, {"text": "late"}):  # kept whole, never mapped
            await es.index(index=saved, document={"id": "a", "name": "n", "search": search})


def test_canned_templates_we_cannot_fill_are_a_422_with_a_stable_code() -> None:
    asyncio.run(_canned())


async def _canned() -> None:
    async with running_api() as api, api.client(await api.token("supervisor")) as client:
        for text, code in (("{}", "invalid_template"), ("oops {", "invalid_template"),
                           ("{brand:>20000000}", "invalid_template")):  # fmt: skip
            refused = await client.post(
                "/v1/canned-replies", json={"name": "x", "lang": "en", "text": text}
            )
            assert (refused.status_code, refused.json()["error"]["code"]) == (422, code)
        saved = await client.post(
            "/v1/canned-replies", json={"name": "ok", "lang": "en", "text": "Hi {brand}"}
        )
        assert saved.status_code == 201
