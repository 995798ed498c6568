"""CSV export memory and speed (issue 5: memory flat for 1,000,000 rows).

Indexes N tweet documents (generated, bilingual) into a throwaway index prefix with the bulk API,
then streams the CSV export of "every tweet" through the same code as `POST /v1/search/export`,
reading the process's resident memory every 50,000 rows. Prints rows/s and the memory from the
first page to the last. Run: python -m bench.api_export [--rows N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_bulk

from services.api.readmodel.indices import ensure_indices
from services.api.search.export import export_csv
from services.api.search.service import SearchRequest
from services.plumbing.settings import ElasticsearchSettings, load_settings

PAGE = os.sysconf("SC_PAGE_SIZE")
WORDS = [
    "parcel",
    "late",
    "refund",
    "app",
    "login",
    "荷物",
    "届かない",
    "返金",
    "ログイン",
    "thanks",
]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 1e6


def docs(index: str, start: int, count: int) -> Iterator[dict[str, Any]]:
    for i in range(start, start + count):
        yield {
            "_index": index, "_id": str(10**18 + i),
            "_source": {
                "tweet_id": str(10**18 + i), "created_at": "2026-11-22T05:00:00.000Z",
                "brand": "acme", "handle": "acmehelp", "direction": "inbound", "channel": "public",
                "author": {"id": str(i % 50_000), "handle": f"user{i % 50_000}",
                           "followers": i % 9_000, "name": f"User {i % 50_000}"},
                "lang": "ja" if i % 3 == 0 else "en", "topic": "delivery", "queue": "care",
                "priority": "P3", "text": f"@acmehelp {WORDS[i % 10]} {WORDS[(i * 7) % 10]} #{i}",
            },
        }  # fmt: skip


async def run(rows: int) -> None:
    settings = load_settings(ElasticsearchSettings)
    es = AsyncElasticsearch(settings.es_url, request_timeout=120)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    try:
        await ensure_indices(es, prefix)
        index = f"{prefix}-tweets"
        await es.indices.put_settings(index=index, settings={"refresh_interval": "-1"})
        began = time.monotonic()
        done = 0
        for start in range(0, rows, 100_000):
            count = min(100_000, rows - start)
            ok, _ = await async_bulk(es, docs(index, start, count), chunk_size=5_000)
            done += ok
            print(f"api_export: indexed {done:,}/{rows:,}", flush=True)
        await es.indices.put_settings(index=index, settings={"refresh_interval": "1s"})
        await es.indices.refresh(index=index)
        print(f"api_export: indexed {rows:,} documents in {time.monotonic() - began:.0f}s")
        began = time.monotonic()
        exported = 0
        first_page_mb = peak = 0.0
        size = 0
        async for chunk in export_csv(es, prefix, SearchRequest(target="tweets")):
            size += len(chunk)
            before = exported
            exported += chunk.count(b"\n")
            if first_page_mb == 0.0:
                first_page_mb = rss_mb()
            if exported // 50_000 != before // 50_000:
                peak = max(peak, rss_mb())
        peak = max(peak, rss_mb())
        seconds = time.monotonic() - began
        print(f"api_export: {exported - 1:,} rows ({size / 1e6:,.0f} MB of CSV) in {seconds:.1f}s "
              f"({(exported - 1) / seconds:,.0f} rows/s)")  # fmt: skip
        growth = peak - first_page_mb
        print(f"api_export: resident memory {first_page_mb:.0f} MB after the first page, "
              f"{peak:.0f} MB at most ({growth:+.0f} MB over the export)")  # fmt: skip
    finally:
        await es.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        await es.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    asyncio.run(run(parser.parse_args().rows))


if __name__ == "__main__":
    main()
