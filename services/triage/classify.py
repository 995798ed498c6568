"""``classify``: every triage decision for a batch of tweets, with reasons.

Rules decide alone out of the box; a trained model decides the labels it knows (complaint,
sentiment) where it is confident and for languages it was trained on, rules elsewhere. PII, spam,
VIPs and the brand's own tweets are always decided by rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from services.plumbing.contracts.tweets import (
    MatchKind,
    Reason,
    Sentiment,
    Topic,
    Triage,
    TweetEvent,
)
from services.plumbing.text import pii
from services.triage import rules
from services.triage.config import TriageConfig
from services.triage.lang import detect
from services.triage.model import TextModel
from services.triage.priority import influence, priority
from services.triage.routing import RouteFacts, route


@dataclass(frozen=True)
class TweetFacts:
    """What triage looks at: the text and what the source knows about the tweet."""

    id: str
    text: str
    brand: str = ""
    handle: str = ""
    author_handle: str = ""
    followers: int | None = None
    verified: bool = False
    outbound: bool = False
    dm: bool = False
    retweet: bool = False
    found_via: MatchKind | None = None  # None: not known (a bare text given to the CLI)
    found_rule: str = ""
    reply_to_other_user: bool = False
    lang_hint: str | None = None
    mentions: tuple[str, ...] = field(default_factory=tuple)
    urls: int = 0

    @classmethod
    def of(cls, tweet: TweetEvent) -> TweetFacts:
        brand_handles = {tweet.handle.lower()}
        return cls(
            id=tweet.tweet_id,
            text=tweet.text,
            brand=tweet.brand,
            handle=tweet.handle,
            author_handle=tweet.author.handle,
            followers=tweet.author.followers,
            verified=tweet.author.verified,
            outbound=tweet.direction.value == "outbound",
            dm=tweet.channel.value == "dm",
            retweet=tweet.retweet_of_id is not None,
            found_via=tweet.found_via,
            found_rule=next((m.rule or "" for m in tweet.matched if m.kind == tweet.found_via), ""),
            reply_to_other_user=bool(
                tweet.in_reply_to_user_id
                and tweet.mentions
                and tweet.mentions[0].lower() not in brand_handles
                and all(m.kind.value == "mention" for m in tweet.matched)
            ),
            lang_hint=tweet.lang_hint,
            mentions=tuple(tweet.mentions),
            urls=len(tweet.urls),
        )


def _needs_reply(
    facts: TweetFacts, topic: Topic, *, spam: bool, complaint: bool, question: bool,
    request: bool, thanks: bool, config: TriageConfig,
) -> tuple[bool, str]:  # fmt: skip
    """Whether the brand should answer, and why; a keyword tweet's reason says so."""
    if facts.outbound:
        return False, "brand's own tweet"
    if facts.retweet:
        return False, "retweet"
    if spam:
        return False, "spam"
    if facts.reply_to_other_user and not complaint:
        return False, "user-to-user chatter"
    topics, answer_praise = config.answers(facts.brand)
    wanted = (
        "complaint" if complaint else "question" if question else "request" if request else None
    )
    answered = facts.dm or topics is None or topic in topics  # a DM is always answered
    if wanted is not None and answered:
        keyword = facts.found_via == MatchKind.KEYWORD
        return True, f"{wanted}, found by keyword" if keyword else wanted
    if facts.dm:
        return True, "direct message"
    if wanted is not None:
        return False, f"{wanted}: topic {topic.value} not answered"
    if thanks:
        return (answer_praise, "thanks: answered" if answer_praise else "thanks")
    return False, "nothing to answer"


@dataclass(frozen=True)
class _RulesView:
    """The rules' sentiment and complaint of one tweet, computed once for the model and triage."""

    sentiment: tuple[Sentiment, float, list[Reason]]
    complaint: tuple[bool, float, list[Reason]]

    @classmethod
    def of(cls, text: str, lang: str) -> _RulesView:
        sentiment = rules.sentiment(text, lang)
        return cls(sentiment, rules.complaint(text, lang, sentiment[1]))


def classify_batch(
    batch: Sequence[TweetFacts], config: TriageConfig, model: TextModel | None = None
) -> list[Triage]:
    """Triage for each tweet of ``batch``, in order."""
    langs = []
    for facts in batch:
        lang, _ = detect(facts.text)
        if lang == "und" and facts.lang_hint and len(facts.lang_hint) == 2:
            lang = facts.lang_hint
        langs.append(lang)
    views = [_RulesView.of(f.text, lang) for f, lang in zip(batch, langs, strict=True)]
    predicted = {}
    if model is not None:
        rule_scores = np.array([(v.complaint[1], v.sentiment[1]) for v in views]).reshape(-1, 2)
        predicted = model.predict([f.text for f in batch], rule_scores)
    results = []
    for index, facts in enumerate(batch):
        model_view = {name: values[index] for name, values in predicted.items()}
        results.append(_classify_one(facts, langs[index], config, model, model_view, views[index]))
    return results


def uncertain(score: float, threshold: float, config: TriageConfig) -> bool:
    """Whether a complaint decision of ``score`` (against ``threshold``) is one the review
    queue should see (:class:`~services.triage.config.Review`)."""
    return config.review is not None and abs(score - threshold) < config.review.margin


def _model_complaint(
    model: TextModel | None, model_view: dict[str, tuple[str, float]]
) -> tuple[bool, list[Reason], tuple[float, float]] | None:
    """The model's complaint decision, its reason and (probability, threshold); None where the
    rules decide (no complaint label, or too near the threshold)."""
    if model is None or "complaint" not in model_view:
        return None
    label, prob = model_view["complaint"]
    learned = model.labels["complaint"]
    threshold = learned.threshold or 0.5
    positive_prob = prob if label == "1" else 1 - prob
    if abs(positive_prob - threshold) < learned.margin:
        return None
    why = Reason(field="complaint", rule="model", detail=label, score=round(positive_prob, 3))
    return label == "1", [why], (positive_prob, threshold)


def _classify_one(
    facts: TweetFacts,
    lang: str,
    config: TriageConfig,
    model: TextModel | None,
    model_view: dict[str, tuple[str, float]],
    rules_view: _RulesView,
) -> Triage:
    text = facts.text
    reasons: list[Reason] = [Reason(field="lang", rule="detect", detail=lang)]
    trusted = model is not None and lang in model.langs

    sentiment, score, why = rules_view.sentiment
    if (
        trusted
        and "sentiment" in model_view
        and model_view["sentiment"][1] >= config.model_confidence
    ):
        label, prob = model_view["sentiment"]
        sentiment = Sentiment(label)
        score = (
            prob
            if sentiment == Sentiment.POSITIVE
            else -prob
            if sentiment == Sentiment.NEGATIVE
            else 0.0
        )
        why = [Reason(field="sentiment", rule="model", detail=label, score=round(prob, 3))]
    reasons += why

    decided = _model_complaint(model, model_view) if trusted else None
    if decided is not None:
        complaint, why, closeness = decided
    else:
        complaint, rule_score, why = (
            rules_view.complaint
            if score == rules_view.sentiment[1]
            else rules.complaint(text, lang, score)  # the model's sentiment
        )
        closeness = (rule_score, rules.COMPLAINT_THRESHOLD)
    reasons += why
    review = uncertain(*closeness, config) and not facts.outbound and not facts.retweet

    topic, why = rules.topic(text, lang)
    reasons += why
    if topic == Topic.PRAISE and complaint:
        topic = Topic.CUSTOMER_SERVICE if "service" in text.lower() else Topic.OTHER

    found = pii.find(text)
    move_to_dm = bool(found.kinds) and not facts.dm
    if found.kinds:
        reasons.append(
            Reason(field="pii", rule="patterns", detail=", ".join(k.value for k in found.kinds))
        )

    spam, why = rules.spam(text, lang, len(facts.mentions), facts.urls)
    reasons += why
    urgent, why = rules.urgency(text, lang)
    reasons += why
    needs, need_why = _needs_reply(
        facts, topic, spam=spam, complaint=complaint, question=rules.is_question(text, lang),
        request=rules.is_request(text, lang),
        thanks=rules.is_thanks(text, lang) or topic == Topic.PRAISE, config=config,
    )  # fmt: skip
    if review and not needs and config.review is not None:
        needs, need_why = True, "review: triage is unsure"
    reasons.append(Reason(field="needs_reply", rule=need_why, detail=facts.found_rule[:200]))

    vip = facts.author_handle.lower() in config.vip_handles
    who = influence(facts.followers, facts.verified, vip)
    level, why_p = priority(
        urgency=urgent, who=who, complaint=complaint, negative=score, needs_reply=needs
    )
    reasons.append(why_p)
    queue, why_q = route(
        RouteFacts(
            facts.brand,
            facts.handle,
            lang,
            topic,
            level,
            vip,
            "dm" if facts.dm else "public",
            facts.found_via,
        ),
        config,
    )
    if review and config.review is not None:
        queue = config.review.queue
        why_q = Reason(field="queue", rule="review", detail=queue,
                       score=round(closeness[0] - closeness[1], 3))  # fmt: skip
    reasons.append(why_q)
    return Triage(
        lang=lang,
        topic=topic,
        complaint=complaint,
        sentiment=sentiment,
        sentiment_score=round(max(-1.0, min(1.0, score)), 3),
        needs_reply=needs,
        needs_reply_reason=need_why,
        spam=spam,
        pii=list(found.kinds),
        move_to_dm=move_to_dm,
        redacted_text=found.redacted,
        influence=who,
        urgency=urgent,
        priority=level,
        queue=queue,
        reasons=reasons[:50],
    )
