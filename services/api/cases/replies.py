"""Composing a reply (pure): canned text with variables, the signature, X's weighted length.

X counts characters by weight: most Latin text weighs 1, CJK and most other scripts weigh 2, a URL
weighs 23, and a post may weigh at most 280 — so a Japanese reply holds about 140 characters.
The console weighs a draft the same way (``console/static/mirror.js``; a test holds both to one
table of texts).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

from services.api.errors import InvalidInputError

MAX_WEIGHT = 280
URL_WEIGHT = 23
# Ranges of weight 1 in X's twitter-text configuration (v3); everything else weighs 2.
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_URL = re.compile(r"https?://\S+")
VARIABLES = ("customer_name", "customer_handle", "agent_name", "brand", "case_id")


class ReplyError(InvalidInputError):
    """A reply that cannot be sent as composed; ``code`` is stable for the API."""


def weighted_length(text: str) -> int:
    """The length X counts for ``text``."""
    total = 0
    rest = _URL.sub("", text)
    total += URL_WEIGHT * len(_URL.findall(text))
    for ch in rest:
        cp = ord(ch)
        total += 1 if any(lo <= cp <= hi for lo, hi in _LIGHT) else 2
    return total


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{variable}`` placeholders; an unknown variable is an error naming it."""
    names = [field for _, field, _, _ in string.Formatter().parse(template) if field]
    unknown = sorted(set(names) - set(VARIABLES))
    if unknown:
        raise ReplyError("unknown_variable", f"unknown variable(s): {', '.join(unknown)}")
    return template.format_map({k: values.get(k, "") for k in VARIABLES})


def compose(text: str, signature: str | None, *, dm: bool) -> str:
    """The text to post: ``text`` plus `` ^signature``; public posts must weigh 280 or less."""
    final = text.strip()
    if not final:
        raise ReplyError("empty_reply", "the reply is empty")
    if signature:
        final = f"{final} ^{signature.strip()}"
    if not dm and weighted_length(final) > MAX_WEIGHT:
        raise ReplyError(
            "reply_too_long",
            f"the reply weighs {weighted_length(final)} of {MAX_WEIGHT} (CJK characters count 2)",
        )
    return final
