"""Personal data in tweets: what kinds appear, and the text with each occurrence masked."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from services.plumbing.contracts.tweets import PiiKind

_DIGIT = re.compile(r"\d")
_EMAIL_AT = re.compile(r"[\w.+-]@")  # a mention is " @name": no word character before the @
_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_PATTERNS: tuple[tuple[PiiKind, re.Pattern[str]], ...] = (
    (PiiKind.EMAIL, re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (
        PiiKind.PHONE,
        re.compile(
            # Not inside a longer run of digit groups (a card or reference number).
            r"(?<![\w-])(?<!\d )(?:\+?\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?"
            r"\d{2,4}[ .-]\d{3,4}[ .-]\d{3,4}(?![\w-])(?![ .]\d)"
            r"|(?<!\d)0[5789]0-?\d{4}-?\d{4}(?!\d)"
        ),
    ),
    (
        PiiKind.ORDER_NUMBER,
        re.compile(
            # The keyword stays readable ("order #[order_number]"); the id needs a digit.
            r"(?i)(?P<keep>\b(?:order|ord|confirmation|booking|ticket|case|ref(?:erence)?)"
            r"\s*(?:#|no\.?|number|num|id)?\s*(?:is\s+)?[:#]?\s*)"
            r"(?=[A-Z-]*\d)[A-Z0-9][A-Z0-9-]{4,19}\b"
            r"|(?P<keep_ja>(?:注文番号|受付番号|予約番号|お問い合わせ番号)\s*[はが:：]?\s*)"
            r"[A-Z0-9-]{5,20}"
            r"|(?<![\w-])\d{3}-\d{7}-\d{7}(?!\d)|(?<![\w-])\d{3}-\d{7}(?!\d)"
        ),
    ),
    (
        PiiKind.POSTAL_ADDRESS,
        re.compile(
            r"〒\s?\d{3}-?\d{4}"
            r"|(?:東京都|北海道|(?:京都|大阪)府|[一-龥]{2,3}県)[一-龥ぁ-んァ-ン0-9０-９-]{2,}[0-9０-９]+"
            r"|\b\d{1,5}\s+\w+(?:\s\w+)?\s(?:street|st|avenue|ave|road|rd|blvd|lane|ln|drive|dr)\b"
        ),
    ),
    (
        PiiKind.ACCOUNT_ID,
        re.compile(
            r"(?i)(?P<keep>\b(?:account|acct|member|customer|user)\s*(?:id|number|no\.?|#)"
            r"\s*(?:is\s+)?[:#]?\s*)(?=[A-Z-]*\d)[A-Z0-9-]{4,20}"
            r"|(?P<keep_ja>(?:会員番号|お客様番号|アカウントID)\s*[はが:：]?\s*)[A-Z0-9-]{4,20}"
        ),
    ),
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@dataclass(frozen=True)
class PiiFinding:
    kinds: tuple[PiiKind, ...]
    redacted: str


def find(text: str) -> PiiFinding:
    """The kinds of personal data in ``text`` and the text with each one replaced by its kind."""
    kinds: list[PiiKind] = []
    redacted = text

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            if PiiKind.CARD_NUMBER not in kinds:
                kinds.append(PiiKind.CARD_NUMBER)
            return "[card_number]"
        return match.group(0)

    digits = _DIGIT.search(text) is not None
    email = "@" in text and _EMAIL_AT.search(text) is not None
    if not digits and not email:
        return PiiFinding((), text)  # every kind needs a digit, or an @ inside a word
    if digits:
        redacted = _CARD.sub(card, redacted)
    for kind, pattern in _PATTERNS:
        if not (email if kind == PiiKind.EMAIL else digits):
            continue
        redacted, count = pattern.subn(_mask(kind), redacted)
        if count and kind not in kinds:
            kinds.append(kind)
    return PiiFinding(tuple(kinds), redacted)


def _mask(kind: PiiKind) -> Callable[[re.Match[str]], str]:
    def mask(match: re.Match[str]) -> str:
        groups = match.groupdict()
        return (groups.get("keep") or groups.get("keep_ja") or "") + f"[{kind.value}]"

    return mask
