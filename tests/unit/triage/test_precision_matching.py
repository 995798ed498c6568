"""The lexicon patterns with shared prefixes factored out find what a flat alternation sorted
by length finds: the longest term that matches, on word boundaries in English."""

from __future__ import annotations

import re

import pytest

from services.triage.matching import compile_terms, found, trie_pattern

_TERMS = ("no", "no one", "no reply", "not", "not working", "nobody", "a?", "on hold", "hold")


def _flat(terms: tuple[str, ...]) -> re.Pattern[str]:
    body = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{body})(?![\w'])")


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("no one answers and no reply", ["no one", "no reply"]),
        ("it is not working, nobody knows", ["not working", "nobody"]),
        ("not now", ["not"]),
        ("noon on holdings", []),  # whole words only
        ("still on hold, on hold again", ["on hold", "on hold"]),
        ("is it a? no", ["a?", "no"]),
        ("no one's fault", ["no"]),  # "one's" is one word: "no one" does not end there
    ],
)
def test_the_longest_term_on_word_boundaries(text: str, hits: list[str]) -> None:
    assert compile_terms(_TERMS, "en").findall(text) == hits
    assert _flat(_TERMS).findall(text) == hits


def test_japanese_terms_are_substrings_longest_first() -> None:
    pattern = compile_terms(("届か", "届かない", "まだ"), "ja")
    assert pattern.findall("まだ届かないし届かず") == ["まだ", "届かない", "届か"]


def test_no_terms_match_nothing_and_a_typographic_apostrophe_is_folded() -> None:
    assert re.compile(trie_pattern(())).findall("anything") == []
    assert found("t", "en", ("doesn't work",), "It doesn\u2019t work") == ["doesn't work"]
