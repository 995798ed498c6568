"""What the outbox reports about a reply: posted or failed, recorded on the case. Pure.

A posted reply does not stop a clock by itself: the response counts when the brand's tweet comes
back through ingest as an outbound tweet, the same way as a reply written natively on X.
"""

from __future__ import annotations

from datetime import datetime

from services.plumbing.contracts.cases import Change, ChangeKind
from services.plumbing.contracts.outbox import OutboxResult
from services.sla.book import Held, Step, event, find, replace


def on_result(book: tuple[Held, ...], result: OutboxResult, now: datetime) -> Step:
    held = find(book, result.case_id)
    if held is None:
        return Step(book)
    posted = result.status == "posted"
    detail = (
        f"posted as {result.posted_tweet_id}"
        if posted
        else f"{result.error_code or 'failed'}: {result.error or ''}"
    )
    new = Held(held.version + 1, held.case.model_copy(update={"updated_at": now}))
    change = Change(
        kind=ChangeKind.REPLY_POSTED if posted else ChangeKind.REPLY_FAILED,
        detail=detail[:500],
        tweet_id=result.posted_tweet_id,
    )
    identity = f"result:{result.reply_id}:{result.status}"
    return Step(replace(book, new), [event(new, change, now, identity)])
