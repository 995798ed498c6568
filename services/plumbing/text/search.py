"""Full-text queries that work for English and Japanese on core analyzers only.

Japanese (Han, Hiragana, Katakana) is indexed one character at a time (see
:mod:`services.api.readmodel.indices`), so a run of Japanese characters in a query becomes a
``match_phrase``: the characters must be adjacent and in order, which is how 配達 finds
配達 and not 配 ... 達 far apart. Other words must all appear (``match`` with ``and``).
"""

from __future__ import annotations

import re
from typing import Any

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\u3005\u30fc"
_SEGMENT = re.compile(rf"[{_CJK}]+|[^\s{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


def full_text_query(text: str, field: str = "text") -> dict[str, Any]:
    """An Elasticsearch query finding documents whose ``field`` holds every part of ``text``."""
    phrases: list[str] = []
    words: list[str] = []
    for segment in _SEGMENT.findall(text):
        (phrases if _IS_CJK.search(segment) else words).append(segment)
    must: list[dict[str, Any]] = [{"match_phrase": {field: p}} for p in phrases]
    if words:
        must.append({"match": {field: {"query": " ".join(words), "operator": "and"}}})
    if not must:
        return {"match_none": {}}
    return {"bool": {"must": must}}
