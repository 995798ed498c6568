"""Triage's rules, table by table, in English and Japanese (our own sentences)."""

from __future__ import annotations

import pytest

from services.plumbing.contracts.common import Priority
from services.plumbing.contracts.tweets import InfluenceTier, MatchKind, PiiKind, Sentiment, Topic
from services.plumbing.text import pii
from services.triage import rules
from services.triage.classify import TweetFacts, classify_batch
from services.triage.config import ConfigError, TriageConfig, load_config
from services.triage.lang import detect


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("@AcmeHelp my order never arrived and nobody answers", "en"),
        ("@acme_jp 荷物がまだ届きません", "ja"),
        ("@acme_jp the app がまた落ちた lol", "ja"),  # mixed script: kana makes it Japanese
        ("@acme 你们的快递太慢了", "zh"),
        ("@acme 배송이 너무 늦어요", "ko"),
        ("@acme mi pedido no ha llegado todavía, por favor ayuda", "es"),
        ("@acme ma commande n'est pas arrivée, je suis très déçu", "fr"),
        ("@acme meine Bestellung ist noch nicht da und ich warte", "de"),
        ("@acme https://t.co/abc", "und"),
    ],
)
def test_language(text: str, lang: str) -> None:
    assert detect(text)[0] == lang


@pytest.mark.parametrize(
    ("text", "lang", "topic"),
    [
        ("@acme my parcel is late and tracking hasn't moved", "en", Topic.DELIVERY),
        ("@acme I was charged twice for my subscription", "en", Topic.BILLING),
        ("@acme how do I return these shoes for a refund?", "en", Topic.RETURNS_REFUNDS),
        ("@acme locked out of my account, password reset broken", "en", Topic.ACCOUNT),
        ("@acme the app keeps crashing after the update", "en", Topic.TECHNICAL),
        ("@acme is the blue one back in stock?", "en", Topic.PRODUCT_INFO),
        ("@acme thank you, the support team was amazing!", "en", Topic.PRAISE),
        ("@acme_jp 配達予定日を過ぎても荷物が届きません", "ja", Topic.DELIVERY),
        ("@acme_jp 二重に請求されています", "ja", Topic.BILLING),
        ("@acme_jp 返品と返金の方法を教えてください", "ja", Topic.RETURNS_REFUNDS),
        ("@acme_jp ログインできません。パスワードを再設定しても駄目", "ja", Topic.ACCOUNT),
        ("@acme_jp アプリが起動しません", "ja", Topic.TECHNICAL),
        ("@acme_jp 素晴らしい対応をありがとうございました", "ja", Topic.PRAISE),
        ("@acme nice weather today", "en", Topic.OTHER),
    ],
)
def test_topic(text: str, lang: str, topic: Topic) -> None:
    assert rules.topic(text, lang)[0] == topic


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("@acme still waiting for my refund after two weeks, this is ridiculous", True),
        ("@acme the app doesn't work again", True),
        ("@acme nobody has answered my emails for days", True),
        ("@acme thanks so much, arrived early and it's perfect", False),
        ("@acme do you ship to Canada?", False),
        ("@acme_jp 注文した商品がまだ届かないのですが、どうなっていますか", True),
        ("@acme_jp 何度問い合わせても返信がありません", True),
        ("@acme_jp 使いにくいし、すぐ壊れた", True),
        ("@acme_jp とても丁寧な対応で嬉しかったです", False),
    ],
)
@pytest.mark.parametrize("found_via", [MatchKind.MENTION, MatchKind.KEYWORD, None])
def test_complaint_is_the_same_addressed_or_found_by_keyword(
    text: str, complaint: bool, found_via: MatchKind | None
) -> None:
    # Active support: the same words without the @-mention, as a keyword rule finds them.
    said = text if found_via == MatchKind.MENTION else text.split(" ", 1)[1]
    triage = _one(TweetFacts(id="1", text=said, found_via=found_via))
    assert triage.complaint is complaint  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "lang", "sentiment"),
    [
        ("@acme worst service ever, absolutely terrible", "en", Sentiment.NEGATIVE),
        ("@acme love it, great job!", "en", Sentiment.POSITIVE),
        ("@acme the delivery was not bad at all", "en", Sentiment.POSITIVE),
        ("@acme what time do you open tomorrow", "en", Sentiment.NEUTRAL),
        ("@acme_jp 最悪です。二度と使いません", "ja", Sentiment.NEGATIVE),
        ("@acme_jp 最高でした、ありがとう", "ja", Sentiment.POSITIVE),
    ],
)
def test_sentiment(text: str, lang: str, sentiment: Sentiment) -> None:
    label, score, _ = rules.sentiment(text, lang)
    assert label == sentiment
    assert -1.0 <= score <= 1.0


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("order #AB12345 never came", {PiiKind.ORDER_NUMBER}),
        ("call me on 415-555-0199", {PiiKind.PHONE}),
        ("電話番号は090-1234-5678です", {PiiKind.PHONE}),
        ("mail me at jo.doe+x@example.com", {PiiKind.EMAIL}),
        ("card 4111 1111 1111 1111 was charged twice", {PiiKind.CARD_NUMBER}),
        ("card 4111 1111 1111 1112 is not a real card", set()),  # fails the Luhn check
        ("〒150-0001 東京都渋谷区神宮前1-2-3に届けて", {PiiKind.POSTAL_ADDRESS}),
        ("account id: 88231-X is locked", {PiiKind.ACCOUNT_ID}),
        ("waited 45 minutes for flight 2231", set()),
        ("where is my order please", set()),  # an id needs a digit
        ("the ticket closed today and my account number is wrong", set()),
        ("@acme_help my booking number is AB12345", {PiiKind.ORDER_NUMBER}),
        ("会員番号は12345678です", {PiiKind.ACCOUNT_ID}),
    ],
)
def test_pii_kinds_and_redaction(text: str, kinds: set[PiiKind]) -> None:
    found = pii.find(text)
    assert set(found.kinds) == kinds
    for kind in kinds:
        assert f"[{kind.value}]" in found.redacted


def _one(facts: TweetFacts, config: TriageConfig | None = None) -> object:
    return classify_batch([facts], config or TriageConfig())[0]


@pytest.mark.parametrize(
    ("facts", "needs", "reason"),
    [
        (TweetFacts(id="1", text="@acme my order is late again, where is it?"), True, "complaint"),
        (TweetFacts(id="2", text="@acme do you open on Sundays?"), True, "question"),
        (TweetFacts(id="3", text="@acme thanks a lot!"), True, "thanks: answered"),
        (TweetFacts(id="4", text="@kenji thanks, see you"), True, "thanks: answered"),
        (
            TweetFacts(id="5", text="@u1 sorry for the wait", outbound=True),
            False,
            "brand's own tweet",
        ),
        (TweetFacts(id="6", text="RT @acme: sale!", retweet=True), False, "retweet"),
        (TweetFacts(id="7", text="@acme earn $500 a day, click here http://x.io/a"), False, "spam"),
        (
            TweetFacts(
                id="8", text="@mika lol I bought mine at @acme too", reply_to_other_user=True
            ),
            False,
            "user-to-user chatter",
        ),
        (TweetFacts(id="9", text="注文番号は123-4567890です", dm=True), True, "direct message"),
    ],
)
def test_needs_reply(facts: TweetFacts, needs: bool, reason: str) -> None:
    triage = _one(facts)
    assert (triage.needs_reply, triage.needs_reply_reason) == (needs, reason)  # type: ignore[attr-defined]


def test_praise_is_not_answered_when_configuration_says_so() -> None:
    triage = _one(TweetFacts(id="1", text="@acme thanks a lot!"), TriageConfig(answer_praise=False))
    assert triage.needs_reply is False  # type: ignore[attr-defined]


def test_pii_in_public_moves_to_dm_and_is_redacted() -> None:
    triage = _one(TweetFacts(id="1", text="@acme order #AB12345 late, call 415-555-0199"))
    assert triage.move_to_dm is True  # type: ignore[attr-defined]
    assert "415-555-0199" not in triage.redacted_text  # type: ignore[attr-defined]
    in_dm = _one(TweetFacts(id="2", text="order #AB12345 late", dm=True))
    assert in_dm.move_to_dm is False  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("facts", "priority"),
    [
        (TweetFacts(id="1", text="@acme the charger caught fire and burned my desk"), Priority.P1),
        (TweetFacts(id="2", text="@acme I will contact my lawyer about this fraud"), Priority.P1),
        (
            TweetFacts(id="3", text="@acme site is down, nothing loads", followers=90_000),
            Priority.P1,
        ),
        (TweetFacts(id="4", text="@acme I'm switching to another provider"), Priority.P2),
        (TweetFacts(id="5", text="@acme my parcel is late again", followers=80_000), Priority.P2),
        (TweetFacts(id="6", text="@acme my parcel is late again"), Priority.P3),
        (TweetFacts(id="7", text="@acme nice"), Priority.P4),
    ],
)
def test_priority(facts: TweetFacts, priority: Priority) -> None:
    assert _one(facts).priority == priority  # type: ignore[attr-defined]


def test_influence_tiers_and_vips() -> None:
    config = TriageConfig(vip_handles=frozenset({"bigname"}))
    celeb = _one(TweetFacts(id="1", text="@acme hi", followers=3_000_000), config)
    vip = _one(TweetFacts(id="2", text="@acme late again", author_handle="BigName"), config)
    assert celeb.influence.tier == InfluenceTier.CELEBRITY  # type: ignore[attr-defined]
    assert vip.influence.vip is True  # type: ignore[attr-defined]
    assert vip.priority == Priority.P2  # type: ignore[attr-defined]


ROUTES = """
default_queue: general
routes:
  - queue: vip
    when: {vip: true}
  - queue: jp-delivery
    when: {lang: [ja], topic: [delivery]}
  - queue: urgent
    when: {priority: [P1]}
vip_handles: ["@BigName"]
"""


@pytest.mark.parametrize(
    ("facts", "queue"),
    [
        (TweetFacts(id="1", text="@acme_jp 荷物が届きません", author_handle="bigname"), "vip"),
        (TweetFacts(id="2", text="@acme_jp 荷物が届きません"), "jp-delivery"),
        (TweetFacts(id="3", text="@acme smoke came out of the heater, dangerous"), "urgent"),
        (TweetFacts(id="4", text="@acme hello"), "general"),
    ],
)
def test_routing_first_match_wins_with_a_default(facts: TweetFacts, queue: str) -> None:
    assert _one(facts, load_config(ROUTES)).queue == queue  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("routes: [{queue: x, when: {topic: [weather]}}]", "routes.0.when.topic.0"),
        ("default_queue: ''", "default_queue"),
        ("routes: [", "not valid YAML"),
    ],
)
def test_bad_configuration_names_the_field(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(text)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("my booking number is AB12345 thanks", "my booking number is [order_number] thanks"),
        ("注文番号 A1234567 の荷物", "注文番号 [order_number] の荷物"),
        ("@acme_help mail a.b@example.com", "@acme_help mail [email]"),
    ],
)
def test_pii_redaction_keeps_the_words_around_the_data(text: str, redacted: str) -> None:
    assert pii.find(text).redacted == redacted
