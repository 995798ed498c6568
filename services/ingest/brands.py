"""Which handles belong to which brand: decides direction (inbound/outbound) and the brand."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_BRAND_ID = re.compile(r"^[0-9A-Za-z_.\-]{1,64}$")


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

    @classmethod
    def from_pairs(cls, pairs: Iterable[str]) -> BrandMap:
        """From ``HANDLE=BRAND`` strings (e.g. ``AcmeHelp=acme``)."""
        mapping: dict[str, str] = {}
        for pair in pairs:
            handle, sep, brand = pair.partition("=")
            if not sep or not handle.strip() or not _BRAND_ID.match(brand.strip()):
                raise BrandConfigError(
                    f"brand mapping {pair!r} must look like HANDLE=BRAND, with BRAND made of "
                    "letters, digits, '_', '.', '-'"
                )
            mapping[_norm(handle.strip())] = brand.strip()
        return cls(mapping)

    def extended(self, handles: Iterable[str]) -> BrandMap:
        """This map plus each unmapped handle of ``handles`` as a brand of its own."""
        mapping = dict(self.handles)
        for handle in handles:
            mapping.setdefault(_norm(handle), _norm(handle))
        return BrandMap(mapping)

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
