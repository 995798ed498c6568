"""Filtered-stream rules from the brand configuration: values, splitting at 512, tags."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from services.ingest.brands import BrandMap
from services.ingest.x_payloads import page_events
from services.ingest.xapi.rules import (
    KeywordConfig,
    RuleError,
    RuleKind,
    RuleSpec,
    brand_rules,
    parse_tag,
)
from services.plumbing.contracts.tweets import MatchKind, Source
from tests.xapi.query import Facts, compile_query

BRANDS = BrandMap.from_pairs(["AcmeHelp=acme", "acme_jp=acme", "OtherCo=other"])
JA = KeywordConfig(brand="acme", terms=("Acme", "#AcmeFail", "アクメ 配達"), lang="ja")


def _by_tag(rules: list[RuleSpec]) -> dict[str, str]:
    return {r.tag: r.value for r in rules}


def test_mention_own_and_keyword_rules_of_each_brand() -> None:
    assert _by_tag(brand_rules(BRANDS, [JA])) == {
        "acme/mention": "(@acme_jp OR @acmehelp OR to:acme_jp OR to:acmehelp) -is:retweet",
        "acme/own": "(from:acme_jp OR from:acmehelp) -is:retweet",
        "other/mention": "(@otherco OR to:otherco) -is:retweet",
        "other/own": "from:otherco -is:retweet",
        "acme/keyword": '("Acme" OR #AcmeFail OR "アクメ 配達") lang:ja -is:retweet'
        " -@acme_jp -from:acme_jp -@acmehelp -from:acmehelp",
    }


def test_exclusions_and_named_keyword_sets() -> None:
    config = KeywordConfig("other", ("OtherCo outage",), exclude=("giveaway", "#ad"), name="en")
    rules = brand_rules(BRANDS, [config])
    assert _by_tag(rules)["other/keyword.en"] == (
        '"OtherCo outage" -is:retweet -"giveaway" -#ad -@otherco -from:otherco'
    )
    assert [r.optional for r in rules] == [r.kind == RuleKind.KEYWORD for r in rules]
    assert sum(r.optional for r in rules) == 1


def test_long_keyword_lists_split_under_the_limit_with_the_whole_suffix() -> None:
    terms = tuple(f"product name {n:03d}" for n in range(80))
    rules = brand_rules(BRANDS, [KeywordConfig("acme", terms, lang="en")])
    keyword = [r for r in rules if r.kind == RuleKind.KEYWORD]
    assert len(keyword) > 1
    assert [r.tag for r in keyword] == [f"acme/keyword-{n}" for n in range(1, len(keyword) + 1)]
    assert all(len(r.value) <= 512 for r in keyword)
    assert all(r.value.endswith("-@acmehelp -from:acmehelp") for r in keyword)
    found = [t for r in keyword for t in re.findall(r'"(product name \d+)"', r.value)]
    assert found == list(terms)


def test_many_handles_split_the_mention_rule_too() -> None:
    many = BrandMap.from_pairs([f"AcmeStore{n:02d}=acme" for n in range(60)])
    mention = [r for r in brand_rules(many, max_length=300) if r.kind == RuleKind.MENTION]
    assert len(mention) >= 2
    assert all(len(r.value) <= 300 for r in mention)
    handles = {h for r in mention for h in re.findall(r"@(\w+)", r.value)}
    assert handles == set(many.handles)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (KeywordConfig("nobody", ("x",)), "has no handle"),
        (KeywordConfig("acme", ()), "no terms"),
        (KeywordConfig("acme", ('say "hi"',)), "double quote"),
        (KeywordConfig("acme", ("x",), lang="japanese"), "ISO 639-1"),
        (KeywordConfig("acme", ("x" * 600,)), "exceeds 512"),
        (KeywordConfig("acme", ("x",), name="bad name"), "letters, digits"),
    ],
)
def test_bad_keyword_configuration_is_named(config: KeywordConfig, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        brand_rules(BRANDS, [config])


def test_two_unnamed_keyword_sets_of_one_brand_collide() -> None:
    with pytest.raises(RuleError, match="repeat"):
        brand_rules(BRANDS, [JA, KeywordConfig("acme", ("Acme",), lang="en")])


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("acme/mention", ("acme", RuleKind.MENTION)),
        ("acme/keyword.ja-2", ("acme", RuleKind.KEYWORD)),
        ("other/own-1", ("other", RuleKind.OWN)),
        ("acme/something", None),
        ("no-slash", None),
        ("/mention", None),
    ],
)
def test_parse_tag(tag: str, expected: tuple[str, RuleKind] | None) -> None:
    assert parse_tag(tag) == expected


def _facts(text: str, *, author: str = "mika_t", lang: str = "ja", to: str = "") -> Facts:
    words = text.lower()
    return Facts(
        text=words,
        author=author,
        to=to,
        mentions=frozenset(re.findall(r"@(\w+)", words)),
        hashtags=frozenset(re.findall(r"#(\w+)", words)),
        lang=lang,
        retweet=False,
        reply=False,
    )


def test_rules_are_valid_x_rules_that_match_what_they_should() -> None:
    rules = _by_tag(brand_rules(BRANDS, [JA]))
    keyword, mention = compile_query(rules["acme/keyword"]), compile_query(rules["acme/mention"])
    own = compile_query(rules["acme/own"])
    assert keyword(_facts("Acme の荷物がまだ来ない"))
    assert not keyword(_facts("Acme の荷物がまだ来ない", lang="en"))
    assert not keyword(_facts("@AcmeHelp Acme の荷物"))  # the mention rule has it
    assert mention(_facts("@AcmeHelp Acme の荷物"))
    assert mention(_facts("まだですか", to="acmehelp"))  # a thread reply without the @
    assert not mention(_facts("まだですか", to="someone"))
    assert own(_facts("@mika_t お待たせしました", author="acmehelp"))
    assert not keyword(_facts("@mika_t Acme です", author="acmehelp"))


def test_a_matched_tag_maps_back_to_brand_and_reason() -> None:
    rule = next(r for r in brand_rules(BRANDS, [JA]) if r.kind == RuleKind.KEYWORD)
    line = {
        "data": {"id": "1861000000000000100", "author_id": "501", "lang": "ja",
                 "created_at": "2026-11-22T04:59:58.000Z", "text": "Acme の荷物がまだ来ない"},
        "includes": {"users": [{"id": "501", "username": "mika_t"}]},
        "matching_rules": [{"id": "9", "tag": rule.tag}],
    }  # fmt: skip
    now = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    (event,) = page_events(line, BRANDS, received_at=now, source=Source.X_STREAM)
    assert (event.brand, event.handle) == ("acme", "acmehelp")  # the first declared handle
    assert event.matched[0].kind == MatchKind.KEYWORD
    assert event.matched[0].rule == "acme/keyword"
