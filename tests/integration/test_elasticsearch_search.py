"""Documents indexed with the bulk helper into the real Elasticsearch, found by full text."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from services.localinfra.settings import InfraSettings
from services.plumbing.text.search import full_text_query

pytestmark = pytest.mark.elasticsearch

DOCS = {
    "en-late": "@acme my parcel is three days late and nobody answers",
    "en-refund": "@acme still waiting for the refund on my cancelled order",
    "ja-late": "@acme_jp 注文した荷物の配達が遅れています。いつ届きますか",
    "ja-login": "@acme_jp アプリにログインできません。パスワードを変えても駄目です",
    # 配 and 達 both appear, but never next to each other: must not match 配達.
    "ja-scattered": "@acme_jp 配送料が心配です。達成感のある買い物でした",
}


@pytest.fixture(scope="module")
def tweets_index(es: Elasticsearch, infra: InfraSettings) -> Iterator[str]:
    # The name matches the tweets template's pattern, so the product mapping applies.
    name = f"{infra.es_index_prefix}-tweets-test-{uuid.uuid4().hex[:8]}"
    actions = [
        {"_index": name, "_id": doc_id, "_source": {"tweet_id": doc_id, "text": text}}
        for doc_id, text in DOCS.items()
    ]
    ok, errors = bulk(es, actions, refresh="wait_for")
    assert (ok, errors) == (len(DOCS), [])
    yield name
    es.indices.delete(index=name)


def _search(es: Elasticsearch, index: str, text: str) -> set[str]:
    hits = es.search(index=index, query=full_text_query(text), size=50)["hits"]["hits"]
    return {hit["_id"] for hit in hits}


def test_index_template_applies_core_analyzer_mapping(es: Elasticsearch, tweets_index: str) -> None:
    mapping = es.indices.get_mapping(index=tweets_index)[tweets_index]["mappings"]
    text = mapping["properties"]["text"]
    assert text["analyzer"] == "standard"
    assert text["index_phrases"] is True
    assert (
        es.indices.get_settings(index=tweets_index)[tweets_index]["settings"]["index"][
            "number_of_replicas"
        ]
        == "0"
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("parcel late", {"en-late"}),
        ("REFUND order", {"en-refund"}),
        ("parcel refund", set()),
        ("配達", {"ja-late"}),
        ("ログイン", {"ja-login"}),
        ("パスワード 駄目", {"ja-login"}),
        ("届きますか", {"ja-late"}),
        ("配達 ログイン", set()),
        ("acme_jp 荷物", {"ja-late"}),
    ],
)
def test_full_text_search_in_english_and_japanese(
    es: Elasticsearch, tweets_index: str, query: str, expected: set[str]
) -> None:
    assert _search(es, tweets_index, query) == expected
