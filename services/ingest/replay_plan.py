"""The pure plan of a replay: which event, with which ids and times, due when."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.ingest.normalise import event_id_for
from services.ingest.pacing import Pacing
from services.plumbing.contracts.tweets import TweetEvent


@dataclass(frozen=True)
class Planned:
    offset: float
    """Seconds after the replay's start when the event is due."""
    event: TweetEvent


def _loop_id(value: str | None, loop: int) -> str | None:
    return value if value is None or loop == 0 else f"{value}-L{loop}"


def relabel(event: TweetEvent, loop: int, shift: timedelta) -> TweetEvent:
    """``event`` as it appears in loop ``loop``: unique ids, times moved by ``shift``."""
    if loop == 0 and not shift:
        return event
    tweet_id = _loop_id(event.tweet_id, loop)
    assert tweet_id is not None
    return event.model_copy(
        update={
            "event_id": event_id_for(tweet_id) if loop else event.event_id,
            "tweet_id": tweet_id,
            "conversation_id": _loop_id(event.conversation_id, loop),
            "in_reply_to_tweet_id": _loop_id(event.in_reply_to_tweet_id, loop),
            "created_at": event.created_at + shift,
            "received_at": event.received_at + shift,
        }
    )


def plan(
    events: Sequence[TweetEvent],
    pacing: Pacing,
    *,
    loops: int | None = 1,
    rebase_to: datetime | None = None,
) -> Iterator[Planned]:
    """Every event of every loop with its due offset.

    ``rebase_to`` gives each tweet the wall-clock time it is due at (the first at that instant,
    the rest compressed by the pace: at ``--speed 60`` an hour of the file is a minute), so a
    live demo's clocks see tweets when they arrive; without it the file's own times are kept
    (backtests, event-time replays). Each loop follows
    the last at the same pace, with ids suffixed ``-L<n>`` so no loop repeats another's ids;
    ``loops=None`` loops until the consumer stops.
    """
    if not events:
        return
    first, last = events[0].created_at, events[-1].created_at
    span = (last - first) + timedelta(seconds=1)
    base_shift = (rebase_to - first) if rebase_to is not None else timedelta(0)
    index = 0
    for loop in itertools.count() if loops is None else range(loops):
        shift = base_shift + span * loop
        for event in events:
            moved = relabel(event, loop, shift)
            offset = pacing.offset(index, moved.created_at, first + base_shift)
            if rebase_to is not None:
                due = rebase_to + timedelta(seconds=offset)
                moved = moved.model_copy(update={"created_at": due, "received_at": due})
            yield Planned(offset, moved)
            index += 1


def plan_stream(
    events: Iterable[TweetEvent], pacing: Pacing, origin: datetime
) -> Iterator[Planned]:
    """An endless stream (the generator) paced from ``origin``, the time of its first event."""
    for index, event in enumerate(events):
        yield Planned(pacing.offset(index, event.created_at, origin), event)
