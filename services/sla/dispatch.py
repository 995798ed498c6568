"""One consumed input to one step, whatever topic it came from. Pure."""

from __future__ import annotations

from datetime import datetime

from services.plumbing.contracts.actions import AgentAction
from services.plumbing.contracts.outbox import OutboxResult
from services.plumbing.contracts.tweets import TriagedTweet
from services.sla.actions import on_action
from services.sla.book import Held, Step, prune
from services.sla.policies import Policy
from services.sla.results import on_result
from services.sla.ticks import on_tick
from services.sla.tweets import on_tweet

Input = TriagedTweet | AgentAction | OutboxResult | None
"""A triaged tweet, an agent action, an outbox result, or ``None`` for a timer tick."""


def apply(
    book: tuple[Held, ...], item: Input, policy: Policy, now: datetime, *, due: bool = True
) -> Step:
    """Fire what is due at ``now``, then apply ``item``; closed cases past the reopen window go.

    ``due=False`` says the caller knows nothing in the book is due by ``now`` (its next due time
    is later), which skips the look at every clock of the book."""
    ticked = on_tick(book, policy, now) if due else Step(book)
    if item is None:
        return Step(prune(ticked.book, now, policy.spec.reopen_window), ticked.events,
                    ticked.outbox, ticked.webhooks)  # fmt: skip
    if isinstance(item, TriagedTweet):
        step = on_tweet(ticked.book, item, policy)
    elif isinstance(item, OutboxResult):
        step = on_result(ticked.book, item, now)
    else:
        step = on_action(ticked.book, item, policy, now)
    return Step(
        prune(step.book, now, policy.spec.reopen_window),
        [*ticked.events, *step.events],
        [*ticked.outbox, *step.outbox],
        [*ticked.webhooks, *step.webhooks],
    )
