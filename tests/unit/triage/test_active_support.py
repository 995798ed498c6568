"""Active support: tweets found by keyword, which never @-mention the brand, become work with the
reason shown; which topics a brand answers is its configuration; routing tells a keyword match
from a mention (our own sentences, and the two the issue names)."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from services.plumbing.contracts.tweets import MatchKind, Topic, Triage
from services.triage.classify import TweetFacts, classify_batch
from services.triage.config import ConfigError, TriageConfig, load_config


def _one(facts: TweetFacts, config: TriageConfig | None = None) -> Triage:
    return classify_batch([facts], config or TriageConfig())[0]


def _keyword(text: str, brand: str = "acme") -> TweetFacts:
    return TweetFacts(
        id="1", text=text, brand=brand, found_via=MatchKind.KEYWORD, found_rule=f"{brand}/keyword"
    )


@pytest.mark.parametrize(
    ("text", "topic", "reason"),
    [
        # the issue's two: a product that does not light, a sign-up nobody can work out
        ("Acmeのライト、買ったけど点灯しない…", Topic.TECHNICAL, "complaint, found by keyword"),
        (
            "ahamo 申し込みたいけどやり方わからない",
            Topic.PRODUCT_INFO,
            "complaint, found by keyword",
        ),
        ("Acmeの充電器、三日で壊れた", Topic.TECHNICAL, "complaint, found by keyword"),
        ("Acmeのアプリ、どうやってログインするの", Topic.ACCOUNT, "question, found by keyword"),
        (
            "Acmeさん、返品の方法を教えてください",
            Topic.RETURNS_REFUNDS,
            "question, found by keyword",
        ),
        ("my Acme kettle stopped working after a week", Topic.OTHER, "complaint, found by keyword"),
        ("how do I reset the Acme router", Topic.ACCOUNT, "question, found by keyword"),
        ("Acme, send me the manual for this model", Topic.OTHER, "request, found by keyword"),
    ],
)
def test_keyword_tweets_that_need_the_brand_need_a_reply(
    text: str, topic: Topic, reason: str
) -> None:
    triage = _one(_keyword(text))
    assert (triage.needs_reply, triage.needs_reply_reason, triage.topic) == (True, reason, topic)
    shown = [r for r in triage.reasons if r.field == "needs_reply"]
    assert [(r.rule, r.detail) for r in shown] == [(reason, "acme/keyword")]


@pytest.mark.parametrize(
    "text",
    ["Acmeの新しいCM、なんか好き", "just saw the new Acme ad on the bus", "Acme最高、ありがとう"],
)
def test_keyword_tweets_with_nothing_wrong_are_no_complaint(text: str) -> None:
    assert _one(_keyword(text)).complaint is False


def test_the_issues_two_are_complaints_or_questions_through_the_command_line_too() -> None:
    # found via comes from ingest's `matched` (TweetEvent), or a bare `found_via`
    lines = b"\n".join(
        [
            orjson.dumps(
                {
                    "id": "a",
                    "text": "Acmeのライト、買ったけど点灯しない…",
                    "matched": [{"kind": "keyword", "rule": "acme/keyword.ja"}],
                }
            ),
            orjson.dumps(
                {
                    "id": "b",
                    "text": "ahamo 申し込みたいけどやり方わからない",
                    "found_via": "keyword",
                }
            ),
            orjson.dumps({"id": "c", "text": "x", "found_via": "carrier pigeon"}),
        ]
    )
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "triage", "classify"],
        input=lines, capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    out = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [(o["id"], o.get("needs_reply")) for o in out] == [
        ("a", True),
        ("b", True),
        (None, None),
    ]
    assert out[0]["needs_reply_reason"] in {
        "complaint, found by keyword",
        "question, found by keyword",
    }
    assert out[1]["needs_reply_reason"] in {
        "complaint, found by keyword",
        "question, found by keyword",
    }
    assert out[0]["topic"] != "other"


TOPICS = """
answer_topics: [delivery, technical, returns_refunds, billing, account, product_info, other]
brands:
  acme: {answer_topics: [technical, delivery], answer_praise: false}
"""


@pytest.mark.parametrize(
    ("facts", "needs", "reason"),
    [
        (_keyword("Acmeの荷物がまだ届かない"), True, "complaint, found by keyword"),
        (_keyword("Acmeの請求が二重になってる"), False, "complaint: topic billing not answered"),
        (
            _keyword("Acmeの請求が二重になってる", brand="other"),
            True,
            "complaint, found by keyword",
        ),
        (
            _keyword("Acmeのサポートの態度が最悪", brand="other"),
            False,
            "complaint: topic customer_service not answered",
        ),
        (_keyword("Acme、ありがとう！"), False, "thanks"),
        (_keyword("Acme、ありがとう！", brand="other"), True, "thanks: answered"),
        (TweetFacts(id="1", text="請求が二重です", brand="acme", dm=True), True, "complaint"),
    ],
)
def test_the_topics_a_brand_answers_are_its_configuration(
    facts: TweetFacts, needs: bool, reason: str
) -> None:
    triage = _one(facts, load_config(TOPICS))
    assert (triage.needs_reply, triage.needs_reply_reason) == (needs, reason)


def test_an_unknown_topic_to_answer_is_refused_with_its_place() -> None:
    with pytest.raises(ConfigError, match=r"brands\.acme\.answer_topics"):
        load_config("brands: {acme: {answer_topics: [weather]}}")


ROUTES = """
default_queue: care
routes:
  - queue: urgent
    when: {priority: [P1]}
  - queue: active-support-ja
    when: {found_via: [keyword], lang: [ja]}
  - queue: active-support
    when: {found_via: [keyword]}
"""


@pytest.mark.parametrize(
    ("facts", "queue"),
    [
        (_keyword("Acmeの荷物がまだ届かない"), "active-support-ja"),
        (_keyword("my Acme parcel never arrived"), "active-support"),
        (
            TweetFacts(id="1", text="@acme my parcel never arrived", found_via=MatchKind.MENTION),
            "care",
        ),
        (TweetFacts(id="1", text="my parcel never arrived"), "care"),  # found via not known
        (_keyword("Acmeのヒーターから煙が出た、危険"), "urgent"),
    ],
)
def test_routing_tells_a_keyword_match_from_a_mention(facts: TweetFacts, queue: str) -> None:
    assert _one(facts, load_config(ROUTES)).queue == queue
