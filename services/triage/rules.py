"""The rules: topic, sentiment, complaint, spam, urgency and whether the brand should answer.

Pure functions of the text (and a few tweet facts); each returns its reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.plumbing.contracts.tweets import Reason, Sentiment, Topic
from services.triage import lexicon
from services.triage.matching import (
    Table,
    compile_terms,
    fold,
    found,
    found_each,
    script_of,
)

_TOPIC_ORDER = (
    Topic.DELIVERY,
    Topic.RETURNS_REFUNDS,
    Topic.BILLING,
    Topic.ACCOUNT,
    Topic.TECHNICAL,
    Topic.CUSTOMER_SERVICE,
    Topic.PRODUCT_INFO,
    Topic.PRAISE,
)
_TOPIC_TABLES: dict[str, Table] = {
    script: tuple((name.value, lexicon.TOPICS[name].get(script, ())) for name in _TOPIC_ORDER)
    for script in ("en", "ja")
}
_SENTIMENT = {
    lang: (compile_terms(words, lang), words) for lang, words in lexicon.SENTIMENT.items()
}
_EN_TOKEN = re.compile(r"[a-z']+")
_LINK = re.compile(r"https?://\S+")
# One clear cue is a complaint (0.3), a negation alone in English (0.2) is not.
COMPLAINT_THRESHOLD = 0.25


def _terms(table: dict[str, tuple[str, ...]], lang: str) -> tuple[str, ...]:
    return table.get(script_of(lang), ())


def topic(text: str, lang: str) -> tuple[Topic, list[Reason]]:
    """The topic with the most lexicon hits (ties: the order above); ``other`` when none."""
    script = script_of(lang)
    found_by_topic = found_each(script, _TOPIC_TABLES[script], text)
    best: tuple[float, Topic, list[str]] = (0.0, Topic.OTHER, [])
    for name in _TOPIC_ORDER:
        hits = found_by_topic.get(name.value, [])
        # Praise only wins when nothing is wrong: "thanks, but my parcel is late" is delivery.
        weight = len(hits) - (0.5 if name == Topic.PRAISE else 0)
        if weight > best[0]:
            best = (weight, name, hits)
    if best[1] == Topic.OTHER:
        return Topic.OTHER, [Reason(field="topic", rule="no-lexicon-hit")]
    return best[1], [
        Reason(field="topic", rule=f"lexicon:{best[1]}", detail=", ".join(best[2][:4]))
    ]


def sentiment(text: str, lang: str) -> tuple[Sentiment, float, list[Reason]]:
    """A lexicon score in [-1, 1] with English negation flipping the next words."""
    script = script_of(lang)
    pattern, weights = _SENTIMENT[script]
    total = 0.0
    hits: list[str] = []
    if script == "en":
        tokens = _EN_TOKEN.findall(fold(text, script))
        negate = 0
        for token in tokens:
            if token in lexicon.NEGATIONS_EN:
                negate = 3
                continue
            weight = weights.get(token)
            if weight is not None:
                total += -weight * 0.7 if negate else weight
                hits.append(("not " if negate else "") + token)
            negate = max(0, negate - 1)
    else:
        for hit in pattern.findall(text):
            total += weights[hit]
            hits.append(hit)
    exclaim = text.count("!") + text.count("！")
    if total and exclaim:
        total *= 1.0 + min(exclaim, 3) * 0.1
    score = max(-1.0, min(1.0, total / 1.5))
    label = (
        Sentiment.NEGATIVE
        if score <= -0.15
        else Sentiment.POSITIVE
        if score >= 0.2
        else Sentiment.NEUTRAL
    )
    reason = Reason(
        field="sentiment", rule="lexicon", detail=", ".join(hits[:4]), score=round(score, 3)
    )
    return label, score, [reason]


_NEGATION = re.compile(r"(?i)\b(?:not|no|never|nothing|nobody|none|zero)\b|n't\b|n’t\b")
_JA_NEGATION = re.compile(r"(?:ない|ません|なかった|ず[、。]|できな|ないで)")


def negated(text: str, lang: str) -> bool:
    """Whether the text negates something (English "not/n't/never...", Japanese ない/ません)."""
    return bool((_JA_NEGATION if script_of(lang) == "ja" else _NEGATION).search(text))


_CUE_TABLES: dict[str, Table] = {
    script: (
        ("clear", lexicon.COMPLAINT_CUES.get(script, ())),
        ("weak", lexicon.WEAK_COMPLAINT_CUES.get(script, ())),
        ("fine", lexicon.NOT_A_PROBLEM.get(script, ())),
    )
    for script in ("en", "ja")
}
# The services a brand gives: a weak word or a negation about one of them is a problem
# ("my order is late", "can't log in"); praise and product questions are no such service.
_SERVICE_TABLES: dict[str, Table] = {
    script: tuple(
        (name.value, lexicon.TOPICS[name].get(script, ()))
        for name in _TOPIC_ORDER
        if name not in (Topic.PRAISE, Topic.PRODUCT_INFO)
    )
    for script in ("en", "ja")
}
CUE = 0.3  # a clear cue, or a weak one beside a second signal
NEGATED_SERVICE = 0.15


@dataclass(frozen=True)
class ComplaintSignals:
    """What the words of a text say towards a complaint (see `complaint_signals`)."""

    clear: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()  # weak cues found, counted or not
    negated: bool = False
    service: tuple[str, ...] = ()  # service terms besides the weak cues (English, when asked)

    @property
    def weak_counts(self) -> bool:
        """A weak cue counts beside a second signal: a clear cue, a negation, another weak
        cue, or a service the brand gives ("delayed again", "my flight is delayed")."""
        return bool(self.clear or self.negated or len(self.weak) > 1 or self.service)

    @property
    def cues(self) -> tuple[str, ...]:
        return self.clear + (self.weak if self.weak_counts else ())


def complaint_signals(text: str, lang: str) -> ComplaintSignals:
    """Clear and weak complaint cues, negation and service terms of ``text``, once negated
    problems that say all is well ("no problem", "can't wait") are taken out."""
    script = script_of(lang)
    # One scan: where a negated problem overlaps a cue ("no problem"), the longer term wins.
    cues = found_each(script, _CUE_TABLES[script], text)
    fine = cues.get("fine")
    if fine:  # their negations negate nothing
        text = compile_terms(fine, script).sub(" ", fold(text, script))
    weak = tuple(cues.get("weak", ()))
    in_weak = {word for term in weak for word in term.split()}
    is_negated = negated(text, lang)
    service = (
        tuple(
            term
            for terms in found_each(script, _SERVICE_TABLES[script], text).values()
            for term in terms
            if not set(term.split()) <= in_weak
        )
        # asked for by a negation, or by a weak cue with no other second signal
        if script == "en" and (is_negated or (len(weak) == 1 and "clear" not in cues))
        else ()
    )
    return ComplaintSignals(tuple(cues.get("clear", ())), weak, is_negated, service)


def complaint(text: str, lang: str, sentiment_score: float) -> tuple[bool, float, list[Reason]]:
    """Reality broke an expectation: clear complaint cues, weak ones beside a second signal,
    negation (in English also about a service: "can't log in") and negative sentiment, lowered
    by praise without problems.

    Whether the tweet @-mentions anyone plays no part: triage only sees tweets that concern a
    brand (ingest found them by mention, thread, keyword or DM), and active support's keyword
    tweets are never addressed; a penalty for those made most of them no complaint.
    """
    script = script_of(lang)
    signals = complaint_signals(text, lang)
    weak = signals.weak if signals.weak_counts else ()
    # Japanese complaints are often plain negated verbs (見られない, 吸わない): weigh them more.
    negation_weight = 0.3 if script == "ja" else 0.2
    # English negation alone is below the threshold; a negated service is a problem.
    negated_service = signals.negated and bool(signals.service)
    cue_score = CUE * (len(signals.clear) + len(weak)) + NEGATED_SERVICE * negated_service
    score = min(0.7, cue_score) + (negation_weight if signals.negated else 0.0)
    score += max(0.0, -sentiment_score) * 0.5 - max(0.0, sentiment_score) * 0.3
    praise = found("praise", script, _terms(lexicon.TOPICS[Topic.PRAISE], lang), text)
    if praise and not signals.cues and not signals.negated:
        score -= 0.3
    score = max(0.0, min(1.0, score))
    detail = ", ".join(
        [
            *signals.clear[:3],
            *weak[:3],
            *(["negation"] if signals.negated else []),
            *(["negated service"] if negated_service else []),
        ]
    )
    return (
        score >= COMPLAINT_THRESHOLD,
        round(score, 3),
        [Reason(field="complaint", rule="rules", detail=detail, score=round(score, 3))],
    )


def spam(text: str, lang: str, mentions: int, urls: int) -> tuple[bool, list[Reason]]:
    """Promotions, link farms and bots: spam words, or many links and mentions."""
    words = found("spam", script_of(lang), _terms(lexicon.SPAM, lang), text)
    links = max(urls, len(_LINK.findall(text)))
    if words and (links or len(words) > 1):
        return True, [Reason(field="spam", rule="spam-words+link", detail=", ".join(words[:3]))]
    if links >= 3 or mentions >= 8:
        return True, [Reason(field="spam", rule="link-or-mention-farm", detail=f"{links} links")]
    return False, []


def urgency(text: str, lang: str) -> tuple[list[str], list[Reason]]:
    """Which urgency signals appear: outage, safety, legal, churn."""
    signals: list[str] = []
    reasons: list[Reason] = []
    for name, table in lexicon.URGENCY.items():
        hits = found(f"urgency:{name}", script_of(lang), _terms(table, lang), text)
        if hits:
            signals.append(name)
            reasons.append(Reason(field="urgency", rule=name, detail=", ".join(hits[:3])))
    return signals, reasons


def is_question(text: str, lang: str) -> bool:
    return bool(found("question", script_of(lang), _terms(lexicon.QUESTION_CUES, lang), text)) or (
        "?" in text or "？" in text
    )


def is_request(text: str, lang: str) -> bool:
    """Asks the brand to do something (please…, ～してください, ～してほしい)."""
    return bool(found("request", script_of(lang), _terms(lexicon.REQUEST_CUES, lang), text))


def is_thanks(text: str, lang: str) -> bool:
    return bool(found("thanks", script_of(lang), _terms(lexicon.THANKS, lang), text))
