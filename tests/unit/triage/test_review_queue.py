"""Uncertain first (issue 18): with a review queue configured, a tweet whose complaint decision
lies within the margin of its threshold becomes a case in that queue, needing a reply whatever
triage decided, so agents' 要対応 / 対応しない there teach the model where it is least sure.
Through classify_batch, the product's path."""

from __future__ import annotations

import pytest

from services.triage.classify import TweetFacts, classify_batch, uncertain
from services.triage.config import ConfigError, TriageConfig, load_config
from services.triage.rules import COMPLAINT_THRESHOLD

CLEAR = "@acme_jp my order never arrived and nobody answers"  # rules score well above 0.25
NOTHING = "@acme_jp watching the game tonight"  # rules score 0: a quarter below the threshold


def _queue_and_need(text: str, config: TriageConfig, **facts: object) -> tuple[str, bool, str]:
    (t,) = classify_batch([TweetFacts(id="1", text=text, **facts)], config)  # type: ignore[arg-type]
    why = next(r.rule for r in t.reasons if r.field == "needs_reply")
    return t.queue, t.needs_reply, why


def test_without_a_review_queue_nothing_changes() -> None:
    assert _queue_and_need(NOTHING, TriageConfig()) == ("general", False, "nothing to answer")


def test_an_unsure_tweet_goes_to_review_as_a_case_and_a_sure_one_does_not() -> None:
    wide = load_config("review: {queue: triage-review, margin: 0.3}")
    assert _queue_and_need(NOTHING, wide) == ("triage-review", True, "review: triage is unsure")
    narrow = load_config("review: {margin: 0.01}")
    assert _queue_and_need(NOTHING, narrow) == ("general", False, "nothing to answer")
    assert _queue_and_need(CLEAR, narrow)[0] == "general"


def test_the_brands_own_tweets_never_go_to_review() -> None:
    wide = load_config("review: {margin: 0.3}")
    queue, needs, _ = _queue_and_need(NOTHING, wide, outbound=True)
    assert (queue, needs) == ("general", False)


@pytest.mark.parametrize(
    ("score", "margin", "expected"),
    [(0.25, 0.05, True), (0.29, 0.05, True), (0.31, 0.05, False), (0.2001, 0.05, True),
     (0.0, 0.05, False), (0.0, 0.3, True)],
)  # fmt: skip
def test_what_is_unsure(score: float, margin: float, expected: bool) -> None:
    config = TriageConfig.model_validate({"review": {"margin": margin}})
    assert uncertain(score, COMPLAINT_THRESHOLD, config) is expected
    assert uncertain(score, COMPLAINT_THRESHOLD, TriageConfig()) is False


def test_a_margin_out_of_range_is_refused_with_the_field() -> None:
    with pytest.raises(ConfigError, match=r"review\.margin"):
        load_config("review: {margin: 0.9}")
