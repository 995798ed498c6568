"""Filtered-stream rules (and recent-search queries) from the brand configuration. Pure.

Per brand: a mention rule ``(@AcmeHelp OR @acme_jp OR to:AcmeHelp OR to:acme_jp) -is:retweet``
(``to:`` also catches a reply in a brand thread whose author removed the @-mention); an own rule
``(from:AcmeHelp OR from:acme_jp) -is:retweet`` so the brand's replies come back as outbound,
whichever tool wrote them; and, for active support, keyword rules for tweets that do not
@-mention the brand, e.g. ``("Acme" OR #AcmeFail) ("ライト" OR "照明") lang:ja -is:retweet
-"giveaway" -@acmehelp -from:acmehelp`` (any of the terms, AND one of each further group, in
one of the languages, NOT any excluded term). A rule longer than X's limit (512 characters)
is split into several, each with the whole suffix. Every rule's tag is
``<brand>/<kind>[.<name>][-<n>]``: the tag of a matched rule names the brand and why
(``x_payloads`` reads the brand from it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.ingest.brands import BrandMap

MAX_RULE_LENGTH = 512
_TAG_TERM = re.compile(r"^[#$]\w+$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_NAME = re.compile(r"^[0-9A-Za-z_]{0,32}$")


class RuleError(ValueError):
    """The configuration cannot make valid rules; the message names the offending part."""


class RuleKind(StrEnum):
    MENTION = "mention"
    OWN = "own"
    KEYWORD = "keyword"


@dataclass(frozen=True)
class KeywordConfig:
    """Active support for one brand: any of ``terms`` (words, phrases, ``#hashtags``), AND
    one term of each group of ``all_of`` (``[["ライト", "照明"], ["点灯", "つかない"]]``), in
    ``lang`` or any of ``langs``, NOT any of ``exclude`` (``giveaway``, ``#ad``, ``@someone``).

    ``name`` tells several keyword sets of one brand apart in rule tags. Only ``terms`` is
    split over several rules when too long; each rule carries all the rest.
    """

    brand: str
    terms: tuple[str, ...]
    lang: str | None = None
    exclude: tuple[str, ...] = ()
    name: str = ""
    all_of: tuple[tuple[str, ...], ...] = ()
    langs: tuple[str, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        """``lang`` and ``langs``, in order, once each."""
        return tuple(dict.fromkeys(([self.lang] if self.lang else []) + list(self.langs)))


@dataclass(frozen=True)
class RuleSpec:
    """One rule: its value (also a valid recent-search query), tag, brand and kind."""

    value: str
    tag: str
    brand: str
    kind: RuleKind

    @property
    def optional(self) -> bool:
        """Keyword rules cost reads for tweets nobody addressed to us: paused first."""
        return self.kind == RuleKind.KEYWORD


def _term(term: str) -> str:
    term = term.strip()
    if not term or '"' in term:
        raise RuleError(f"keyword {term!r} must be non-empty and contain no double quote")
    if _TAG_TERM.match(term) or (term.startswith("@") and len(term) > 1):
        return term
    return f'"{term}"'


def _any_of(items: Sequence[str]) -> str:
    """``a``, ``(a OR b)``, or "" for none."""
    return "" if not items else items[0] if len(items) == 1 else "(" + " OR ".join(items) + ")"


def _pack(items: Sequence[str], suffix: str, max_length: int, what: str) -> list[str]:
    """As few ``(a OR b ...) suffix`` values as fit in ``max_length`` each, in order."""

    def value(chunk: Sequence[str]) -> str:
        return f"{_any_of(chunk)}{suffix}"

    values: list[str] = []
    chunk: list[str] = []
    for item in items:
        if len(value([item])) > max_length:
            raise RuleError(f"{what}: {item!r} with {suffix.strip()!r} exceeds {max_length} chars")
        if chunk and len(value([*chunk, item])) > max_length:
            values.append(value(chunk))
            chunk = []
        chunk.append(item)
    if chunk:
        values.append(value(chunk))
    return values


def _specs(values: list[str], brand: str, kind: RuleKind, name: str = "") -> list[RuleSpec]:
    base = f"{brand}/{kind.value}" + (f".{name}" if name else "")
    if len(values) == 1:
        return [RuleSpec(values[0], base, brand, kind)]
    return [RuleSpec(v, f"{base}-{n}", brand, kind) for n, v in enumerate(values, start=1)]


def _handles_by_brand(brands: BrandMap) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for handle, brand in sorted(brands.handles.items()):
        grouped.setdefault(brand, []).append(handle)
    return grouped


def _keyword_rules(
    config: KeywordConfig, handles: Sequence[str], max_length: int
) -> list[RuleSpec]:
    if not config.terms:
        raise RuleError(f"keyword set {config.name or 'keyword'!r} of {config.brand} has no terms")
    for lang in config.languages:
        if not _LANG.match(lang):
            raise RuleError(f"language {lang!r} of {config.brand} must be an ISO 639-1 code")
    if not _NAME.match(config.name):
        raise RuleError(f"keyword set name {config.name!r} must be letters, digits or '_'")
    if any(not group for group in config.all_of):
        raise RuleError(f"keyword set {config.name or 'keyword'!r} of {config.brand}: empty group")
    langs = _any_of([f"lang:{lang}" for lang in config.languages])
    suffix = "".join(
        [f" {_any_of([_term(t) for t in group])}" for group in config.all_of]
        + [f" {langs}" if langs else "", " -is:retweet"]
        + [f" -{_term(t)}" for t in config.exclude]
        + [f" -@{h} -from:{h}" for h in handles]
    )
    values = _pack([_term(t) for t in config.terms], suffix, max_length, config.brand)
    return _specs(values, config.brand, RuleKind.KEYWORD, config.name)


def brand_rules(
    brands: BrandMap, keywords: Sequence[KeywordConfig] = (), *, max_length: int = MAX_RULE_LENGTH
) -> list[RuleSpec]:
    """Every rule the brands need: mention and own rules per brand, then keyword rules.

    Raises :class:`RuleError` for a keyword set of an unknown brand, a bad term or language,
    one term too long to fit in a rule, or two keyword sets whose tags would collide.
    """
    grouped = _handles_by_brand(brands)
    rules: list[RuleSpec] = []
    for brand, handles in grouped.items():
        addressed = [f"@{h}" for h in handles] + [f"to:{h}" for h in handles]
        mention = _pack(addressed, " -is:retweet", max_length, brand)
        own = _pack([f"from:{h}" for h in handles], " -is:retweet", max_length, brand)
        rules += _specs(mention, brand, RuleKind.MENTION) + _specs(own, brand, RuleKind.OWN)
    for config in keywords:
        if config.brand not in grouped:
            raise RuleError(f"keyword set for brand {config.brand!r}, which has no handle")
        rules += _keyword_rules(config, grouped[config.brand], max_length)
    repeated = [tag for tag, n in Counter(r.tag for r in rules).items() if n > 1]
    if repeated:
        raise RuleError(f"rule tags {repeated} repeat: give each keyword set of a brand a name")
    return rules


def parse_tag(tag: str) -> tuple[str, RuleKind] | None:
    """The brand and kind a rule tag names, or None for a tag that is not one of ours."""
    brand, sep, rest = tag.partition("/")
    kind = re.split(r"[.\-]", rest, maxsplit=1)[0]
    if not sep or not brand or kind not in {k.value for k in RuleKind}:
        return None
    return brand, RuleKind(kind)
