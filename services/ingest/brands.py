"""Which handles belong to which brand (and in which languages they answer): decides direction
(inbound/outbound), the brand, and the handle a tweet found by keyword is answered from."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_BRAND_ID = re.compile(r"^[0-9A-Za-z_.\-]{1,64}$")
_LANGS = re.compile(r"^[a-z]{2,3}(,[a-z]{2,3})*$")


class BrandConfigError(ValueError):
    """A brand mapping is malformed; the message names the offending entry."""


def _norm(handle: str) -> str:
    return handle.lstrip("@").lower()


@dataclass(frozen=True)
class BrandMap:
    """Customer-facing handles and the brand each belongs to (one brand may own several).

    With ``own_brand_for_unknown`` a handle that is declared as a brand handle but not mapped is
    its own brand (its id is the handle, lowercased): useful for replay files with many brands.
    """

    handles: Mapping[str, str] = field(default_factory=dict)
    # The languages a handle answers in (``acme_jp``: ``("ja",)``); a handle left out answers
    # in any language the brand has no handle of its own for.
    langs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_pairs(cls, pairs: Iterable[str]) -> BrandMap:
        """From ``HANDLE=BRAND`` or ``HANDLE=BRAND:LANG[,LANG]`` strings (``AcmeHelp=acme``,
        ``acme_jp=acme:ja``); raises :class:`BrandConfigError` naming a malformed one."""
        mapping: dict[str, str] = {}
        langs: dict[str, tuple[str, ...]] = {}
        for pair in pairs:
            handle, sep, rest = pair.partition("=")
            brand, has_langs, spoken = rest.strip().partition(":")
            if (
                not sep
                or not handle.strip()
                or not _BRAND_ID.match(brand)
                or (has_langs and not _LANGS.match(spoken))
            ):
                raise BrandConfigError(
                    f"brand mapping {pair!r} must look like HANDLE=BRAND or HANDLE=BRAND:LANG, "
                    "with BRAND made of letters, digits, '_', '.', '-' and LANG ISO 639-1 codes "
                    "separated by ','"
                )
            mapping[_norm(handle.strip())] = brand
            if has_langs:
                langs[_norm(handle.strip())] = tuple(spoken.split(","))
        return cls(mapping, langs)

    def extended(self, handles: Iterable[str]) -> BrandMap:
        """This map plus each unmapped handle of ``handles`` as a brand of its own."""
        mapping = dict(self.handles)
        for handle in handles:
            mapping.setdefault(_norm(handle), _norm(handle))
        return BrandMap(mapping, self.langs)

    def handle_for(self, brand: str, lang: str | None) -> str | None:
        """The handle that answers ``brand``'s tweets in ``lang`` when the tweet names no handle
        (found by keyword): the first one declared for ``lang``, else the first declared for no
        language, else the brand's first; None when the brand has no handle."""
        own = [h for h, b in self.handles.items() if b == brand]
        spoken = [h for h in own if lang is not None and lang in self.langs.get(h, ())]
        anything = [h for h in own if h not in self.langs]
        return next(iter(spoken + anything + own), None)

    def brand_of(self, handle: str | None) -> str | None:
        """The brand that owns ``handle``, or None when it is not a brand handle."""
        if handle is None:
            return None
        return self.handles.get(_norm(handle))

    def is_brand(self, handle: str | None) -> bool:
        return self.brand_of(handle) is not None

    def first_mentioned(self, mentions: Iterable[str]) -> str | None:
        """The first mentioned handle that belongs to a brand."""
        return next((m for m in mentions if self.is_brand(m)), None)
