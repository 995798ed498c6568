"""Lexicon terms compiled into one regular expression per category and language (fast)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache


def compile_terms(terms: Iterable[str], lang: str) -> re.Pattern[str]:
    """English terms match whole words (case-insensitive); Japanese terms match as substrings."""
    ordered = sorted(set(terms), key=len, reverse=True)
    body = "|".join(re.escape(t) for t in ordered)
    if lang == "ja":
        return re.compile(body)
    # Terms are lowercase and texts are lowercased before scanning: no IGNORECASE (much faster).
    return re.compile(rf"(?<![\w'])(?:{body.lower()})(?![\w'])")


def script_of(lang: str) -> str:
    """Japanese lexicons for Japanese text, English lexicons for everything else."""
    return "ja" if lang == "ja" else "en"


@cache
def _pattern(category: str, lang: str, terms: tuple[str, ...]) -> re.Pattern[str]:
    return compile_terms(terms, lang)


def found(category: str, lang: str, terms: tuple[str, ...], text: str) -> list[str]:
    """The distinct terms of ``terms`` found in ``text`` (in order of appearance)."""
    hits = _pattern(category, lang, terms).findall(text if lang == "ja" else text.lower())
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(hit.lower(), None)
    return list(seen)
