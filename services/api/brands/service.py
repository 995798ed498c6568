"""A brand's handles as the read model knows them: every handle its tweets went to or came from.

Ingest decides each tweet's brand and handle from its brand map (``TWEETCARE_INGEST_BRANDS``,
or the brand accounts of a replay file), so the read model holds the one answer to "which
handles are this brand's" without a second copy of that map here. A handle no tweet has named
yet is not listed; one with no user token in ingest is listed, and a reply from it fails
``no_credentials`` at the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elasticsearch import AsyncElasticsearch
from pydantic import Field

from services.api.readmodel.indices import TWEETS, index_name
from services.api.readmodel.querying import Frozen

MAX_HANDLES = 200
"""Handles listed per brand (T-Mobile-sized brands have a handful; replays a few more)."""


class BrandHandle(Frozen):
    handle: str = Field(description="As the brand's newest tweet through it spells it")
    tweets: int = Field(description="Tweets of the read model to or from this handle")


class BrandHandles(Frozen):
    brand: str
    handles: list[BrandHandle] = Field(description="By handle, case ignored")


def handles_query(brand: str) -> dict[str, Any]:
    """The search (no hits, one aggregation) that lists ``brand``'s handles: the handle field
    is lowercased in the index, so each bucket keeps its newest tweet's spelling."""
    return {
        "size": 0,
        "query": {"term": {"brand": brand}},
        "aggs": {
            "handles": {
                "terms": {"field": "handle", "size": MAX_HANDLES},
                "aggs": {
                    "spelt": {
                        "top_hits": {
                            "size": 1,
                            "_source": ["handle"],
                            "sort": [{"created_at": "desc"}],
                        }
                    }
                },
            }
        },
    }


def handles_of(brand: str, answer: Mapping[str, Any]) -> BrandHandles:
    """The brand's handles from the answer to :func:`handles_query`."""
    found = []
    for bucket in answer.get("aggregations", {}).get("handles", {}).get("buckets", []):
        hits = bucket["spelt"]["hits"]["hits"]
        spelt = hits[0]["_source"].get("handle") if hits else None
        found.append(BrandHandle(handle=str(spelt or bucket["key"]), tweets=bucket["doc_count"]))
    return BrandHandles(brand=brand, handles=sorted(found, key=lambda h: h.handle.lower()))


async def brand_handles(es: AsyncElasticsearch, prefix: str, brand: str) -> BrandHandles:
    """``brand``'s handles (none for a brand the read model has no tweet of)."""
    answer = await es.search(index=index_name(prefix, TWEETS), **handles_query(brand))
    return handles_of(brand, answer.body)
