"""Keyword rules with AND/OR/NOT groups and several languages, and the handle a keyword tweet is
answered from: the brand's handle for the tweet's language (our own sentences)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from services.ingest.brands import BrandConfigError, BrandMap
from services.ingest.x_payloads import page_events
from services.ingest.xapi.rules import KeywordConfig, RuleError, RuleKind, brand_rules
from services.plumbing.contracts.tweets import MatchKind, Source
from tests.xapi.query import Facts, compile_query

BRANDS = BrandMap.from_pairs(["AcmeHelp=acme:en", "acme_jp=acme:ja", "AcmeCare=acme"])
LIGHTS = KeywordConfig(
    brand="acme",
    terms=("Acme", "アクメ"),
    all_of=(("ライト", "照明", "light"), ("点灯", "つかない", "broken")),
    langs=("ja", "en"),
    exclude=("giveaway",),
    name="lights",
)


def _facts(text: str, lang: str) -> Facts:
    return Facts(
        text=text.lower(), author="mika_t", to="", mentions=frozenset(re.findall(r"@(\w+)", text)),
        hashtags=frozenset(), lang=lang, retweet=False, reply=False,
    )  # fmt: skip


def _keyword_rule(config: KeywordConfig, max_length: int = 512) -> list[str]:
    rules = brand_rules(BRANDS, [config], max_length=max_length)
    return [r.value for r in rules if r.kind == RuleKind.KEYWORD]


def test_a_rule_is_any_term_and_one_of_each_group_in_its_languages_without_exclusions() -> None:
    (value,) = _keyword_rule(LIGHTS)
    assert value == (
        '("Acme" OR "アクメ") ("ライト" OR "照明" OR "light") ("点灯" OR "つかない" OR "broken")'
        ' (lang:ja OR lang:en) -is:retweet -"giveaway"'
        " -@acme_jp -from:acme_jp -@acmecare -from:acmecare -@acmehelp -from:acmehelp"
    )


@pytest.mark.parametrize(
    ("text", "lang", "matches"),
    [
        ("Acmeのライト、点灯しない", "ja", True),
        ("アクメの照明がつかない", "ja", True),
        ("my Acme light is broken", "en", True),
        ("Acmeのライト、とても明るい", "ja", False),  # no term of the second group
        ("ライトが点灯しない", "ja", False),  # not the brand
        ("Acmeのライト、点灯しない", "ko", False),  # another language
        ("Acme light broken? giveaway inside", "en", False),  # excluded
        ("@acme_jp Acmeのライト、点灯しない", "ja", False),  # the mention rule has it
    ],
)
def test_the_rule_matches_what_it_says_on_x(text: str, lang: str, matches: bool) -> None:
    (value,) = _keyword_rule(LIGHTS)
    assert compile_query(value)(_facts(text, lang)) is matches


def test_a_long_term_list_splits_and_every_part_keeps_the_groups_and_languages() -> None:
    config = KeywordConfig(
        "acme", tuple(f"model {n:03d}" for n in range(60)), all_of=(("battery", "電池"),),
        langs=("ja", "en"),
    )  # fmt: skip
    values = _keyword_rule(config, max_length=300)
    assert len(values) > 1
    assert all(len(v) <= 300 for v in values)
    assert all(' ("battery" OR "電池") (lang:ja OR lang:en) -is:retweet' in v for v in values)
    assert [t for v in values for t in re.findall(r'"(model \d+)"', v)] == list(config.terms)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (KeywordConfig("acme", ("x",), all_of=((),)), "empty group"),
        (KeywordConfig("acme", ("x",), all_of=(('say "hi"',),)), "double quote"),
        (KeywordConfig("acme", ("x",), langs=("ja", "japanese")), "ISO 639-1"),
    ],
)
def test_bad_groups_and_languages_are_named(config: KeywordConfig, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        brand_rules(BRANDS, [config])


@pytest.mark.parametrize(
    ("brands", "lang", "handle"),
    [
        (BRANDS, "ja", "acme_jp"),
        (BRANDS, "en", "acmehelp"),
        (BRANDS, "es", "acmecare"),  # no handle for Spanish: the one declared for no language
        (BRANDS, None, "acmecare"),
        (BrandMap.from_pairs(["AcmeHelp=acme:en", "acme_jp=acme:ja"]), "es", "acmehelp"),
        (BrandMap.from_pairs(["AcmeHelp=acme", "acme_jp=acme"]), "ja", "acmehelp"),
    ],
)
def test_the_answering_handle_is_the_brands_handle_for_the_language(
    brands: BrandMap, lang: str | None, handle: str
) -> None:
    assert brands.handle_for("acme", lang) == handle


def test_a_brand_without_handles_has_no_answering_handle() -> None:
    assert BRANDS.handle_for("nobody", "ja") is None


@pytest.mark.parametrize("pair", ["acme_jp=acme:", "acme_jp=acme:japanese", "acme_jp=:ja"])
def test_a_bad_language_in_a_brand_mapping_is_named(pair: str) -> None:
    with pytest.raises(BrandConfigError, match=re.escape(repr(pair))):
        BrandMap.from_pairs([pair])


@pytest.mark.parametrize(("lang", "handle"), [("ja", "acme_jp"), ("en", "acmehelp")])
def test_a_keyword_tweet_is_answered_from_the_handle_of_its_language(
    lang: str, handle: str
) -> None:
    rule = next(r for r in brand_rules(BRANDS, [LIGHTS]) if r.kind == RuleKind.KEYWORD)
    line = {
        "data": {"id": "1861000000000000100", "author_id": "501", "lang": lang,
                 "created_at": "2026-11-22T04:59:58.000Z", "text": "Acme light: つかない"},
        "includes": {"users": [{"id": "501", "username": "mika_t"}]},
        "matching_rules": [{"id": "9", "tag": rule.tag}],
    }  # fmt: skip
    now = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    (event,) = page_events(line, BRANDS, received_at=now, source=Source.X_STREAM)
    assert (event.brand, event.handle, event.found_via) == ("acme", handle, MatchKind.KEYWORD)
