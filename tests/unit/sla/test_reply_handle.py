"""The handle a reply posts from, decided by the SLA service: the one the action names (the API
held it to the brand's handles), else the case's; a DM only from the case's handle, never in
public. The case keeps its handle either way. Time is a parameter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.plumbing.contracts.common import Channel
from services.sla.actions import on_action
from services.sla.book import Held, Step
from services.sla.policies import load_policy
from services.sla.tweets import on_tweet
from tests.factories.sla import action, triaged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
POLICY = load_policy("default: {first_response: 60m, next_response: 30m, resolution: 1d}\n")


def opened(channel: Channel) -> tuple[Held, ...]:
    """A case of brand acme, opened by a tweet to @acme_jp."""
    return on_tweet((), triaged("1", T0, channel=channel), POLICY).book


def replied(book: tuple[Held, ...], channel: str, handle: str | None) -> Step:
    at = T0 + timedelta(minutes=2)
    extra = {} if handle is None else {"handle": handle}
    asked = action("reply", book[0].case.case_id, at, reply_id="r1", text="Checking now.",
                   channel=channel, **extra)  # fmt: skip
    return on_action(book, asked, POLICY, at)


@pytest.mark.parametrize(
    ("case_channel", "channel", "handle", "posts_as"),
    [
        (Channel.PUBLIC, "public", None, "acme_jp"),  # the case's
        (Channel.PUBLIC, "public", "AcmeHelp", "AcmeHelp"),  # the agent's choice
        (Channel.PUBLIC, "dm", "acme_jp", "acme_jp"),  # moved to DM, from the case's
        (Channel.DM, "dm", None, "acme_jp"),
        (Channel.DM, "dm", "ACME_JP", "ACME_JP"),  # the same account (X ignores case)
    ],
)
def test_the_reply_posts_from_the_chosen_handle_else_the_cases(
    case_channel: Channel, channel: str, handle: str | None, posts_as: str
) -> None:
    step = replied(opened(case_channel), channel, handle)
    assert [(r.handle, r.channel) for r in step.outbox] == [(posts_as, Channel(channel))]
    assert step.book[0].case.handle == "acme_jp"  # the case keeps its handle
    assert step.events[0].outcome is not None
    assert step.events[0].outcome.status == "applied"


@pytest.mark.parametrize(
    ("case_channel", "channel", "code"),
    [
        (Channel.DM, "dm", "dm_other_handle"),
        (Channel.PUBLIC, "dm", "dm_other_handle"),
        (Channel.DM, "public", "dm_other_handle"),  # refused either way, never posted
    ],
)
def test_a_dm_from_another_handle_is_refused_and_never_posted(
    case_channel: Channel, channel: str, code: str
) -> None:
    book = opened(case_channel)
    step = replied(book, channel, "AcmeHelp")
    assert step.outbox == []
    assert step.book == book
    outcome = step.events[0].outcome
    assert outcome is not None
    assert (outcome.status, outcome.code) == ("rejected", code)
