"""要対応 / 対応しない by hand, as requested (pure): open a case from a tweet document of the read
model, correct triage on a case, and the fast refusal of an action the SLA service would refuse.

What triage said comes from the tweet document (triage's own decisions, never a correction), so
the outcome event can set it against what the agent said.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.api.errors import ConflictError, ForbiddenError
from services.plumbing.casework import RejectedError, case_id_for, check
from services.plumbing.contracts import actions as a
from services.plumbing.contracts.cases import Case
from services.plumbing.contracts.codecs import new_event_id
from services.plumbing.contracts.tweets import Author, Sentiment, Topic


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenBody(_Body):
    """Why the tweet needs handling, and the queue when not the one triage chose."""

    reason: str = Field(default="", max_length=200)
    queue: str | None = Field(default=None, min_length=1, max_length=64,
                              pattern=r"^[0-9A-Za-z_.\-]+$")  # fmt: skip


class CorrectBody(_Body):
    """The agent's verdict: at least one of topic, sentiment, needs_reply, spam. Saying the
    case needs no reply, or is spam, closes it."""

    topic: Topic | None = None
    sentiment: Sentiment | None = None
    needs_reply: bool | None = None
    spam: bool | None = None
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _says_something(self) -> CorrectBody:
        if self.verdict() == a.Verdict():
            raise ValueError("say at least one of topic, sentiment, needs_reply, spam")
        return self

    def verdict(self) -> a.Verdict:
        return a.Verdict(topic=self.topic, sentiment=self.sentiment,
                         needs_reply=self.needs_reply, spam=self.spam)  # fmt: skip


def verdict_of(doc: dict[str, Any]) -> a.Verdict:
    """What triage said of a tweet, from its document."""
    return a.Verdict(topic=doc.get("topic"), sentiment=doc.get("sentiment"),
                     needs_reply=doc.get("needs_reply"), spam=doc.get("spam"))  # fmt: skip


def open_case(doc: dict[str, Any], actor: a.Actor, body: OpenBody, now: datetime) -> a.OpenCase:
    """The action opening a case from the tweet ``doc``; a brand's own tweet is refused
    (``brand_tweet``): a case is a customer's."""
    if doc.get("direction") != "inbound":
        raise ConflictError("brand_tweet", "a case opens from a customer's tweet, not the brand's")
    tweet = a.OpenedTweet(
        tweet_id=doc["tweet_id"], conversation_id=doc["conversation_id"],
        dm_conversation_id=doc.get("dm_conversation_id"),
        author=Author.model_validate(doc["author"]), brand=doc["brand"], handle=doc["handle"],
        channel=doc["channel"], created_at=doc["created_at"], lang=doc.get("lang"),
        queue=doc["queue"], priority=doc["priority"],
        vip=bool((doc.get("influence") or {}).get("vip")), triage=verdict_of(doc),
        model_version=doc.get("model_version"),
    )  # fmt: skip
    return a.OpenCase(
        event_id=new_event_id(), case_id=case_id_for(doc["case_key"], tweet.tweet_id),
        case_key=doc["case_key"], actor=actor, requested_at=now, tweet=tweet, queue=body.queue,
        reason=body.reason,
    )  # fmt: skip


def correct(
    case: Case, actor: a.Actor, body: CorrectBody, triage: a.Verdict | None, now: datetime
) -> a.Correct:
    return a.Correct(
        event_id=new_event_id(), case_id=case.case_id, case_key=case.case_key, actor=actor,
        requested_at=now, agent=body.verdict(), triage=triage, reason=body.reason,
    )  # fmt: skip


def refuse_early(case: Case, action: a.AgentAction) -> None:
    """Refuse now what the SLA service would refuse on the case as the API sees it (the same
    rules: :func:`services.plumbing.casework.check`): a collision with the holder is 409
    ``claimed_by_other``, a role that may not act 403 ``forbidden_role``. What passes is still
    decided by the SLA service, in order."""
    try:
        check(case, action)
    except RejectedError as no:
        if no.code == "forbidden_role":
            raise ForbiddenError(no.code, no.reason) from no
        raise ConflictError(no.code, no.reason) from no
