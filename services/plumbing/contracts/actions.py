"""``agent.actions`` (api → sla): what an agent asks to do to a case. Key: ``case_key``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter, model_validator

from services.plumbing.contracts.common import CaseKey, Channel, Event, Id, Part, Priority, UtcTime
from services.plumbing.contracts.tweets import Author, Sentiment, Topic


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    INTEGRATOR = "integrator"
    SYSTEM = "system"


class Actor(Part):
    id: Id
    name: str = Field(max_length=100)
    role: Role


class Verdict(Part):
    """What someone says of a tweet: triage's decisions, or an agent's correction of them.
    ``None`` is "not said" (an agent correcting only the topic says nothing of the rest)."""

    topic: Topic | None = None
    sentiment: Sentiment | None = None
    needs_reply: bool | None = None
    spam: bool | None = None

    def said(self) -> dict[str, object]:
        """The values said, by name."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


class _Action(Event):
    """Common fields; ``event_id`` is the action id the outcome on ``cases.events`` carries."""

    version: Literal[1] = 1
    case_id: Id
    case_key: CaseKey
    actor: Actor
    requested_at: UtcTime


class Claim(_Action):
    kind: Literal["claim"] = "claim"


class Release(_Action):
    kind: Literal["release"] = "release"


class Reply(_Action):
    kind: Literal["reply"] = "reply"
    reply_id: Id
    text: str = Field(min_length=1, max_length=10_000)
    channel: Channel
    in_reply_to_tweet_id: Id | None = None
    handle: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The brand handle to post from, one of the case's brand's (the API checks); "
        "absent: the case's handle. A DM goes from the case's handle only",
    )
    idempotency_key: Id | None = Field(
        default=None,
        description="The client's key of this reply: a second reply with the same key to the "
        "same case is a repeat (answered, never posted again)",
    )


class Resolve(_Action):
    kind: Literal["resolve"] = "resolve"


class NoReply(_Action):
    """対応しない: the case needs no reply. ``triage`` is what triage said of its opening tweet."""

    kind: Literal["no_reply"] = "no_reply"
    reason: str = Field(default="", max_length=200)
    triage: Verdict | None = None


class MarkSpam(_Action):
    kind: Literal["spam"] = "spam"
    triage: Verdict | None = None


class OpenedTweet(Part):
    """The tweet an agent opens a case from (要対応), with what triage said of it: everything
    the SLA service needs to open the case, as the read model holds it."""

    tweet_id: Id
    conversation_id: Id
    dm_conversation_id: Id | None = None
    author: Author
    brand: Id
    handle: str = Field(max_length=64)
    channel: Channel
    created_at: UtcTime
    lang: str | None = Field(default=None, pattern=r"^[a-z]{2}$|^und$")
    queue: str = Field(min_length=1, max_length=64)
    priority: Priority
    vip: bool = False
    triage: Verdict
    model_version: str | None = Field(
        default=None, max_length=64, description="The triage model version that decided it"
    )


class OpenCase(_Action):
    """Open a case from a tweet (要対応). ``case_id`` is the case the tweet would open; when the
    tweet already has a case, the outcome carries that case instead."""

    kind: Literal["open"] = "open"
    tweet: OpenedTweet
    queue: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(default="", max_length=200)


class Correct(_Action):
    """An agent corrects triage on a case (topic, sentiment, needs-reply, spam); ``triage`` is
    what triage said of the case's opening tweet."""

    kind: Literal["correct"] = "correct"
    agent: Verdict
    triage: Verdict | None = None
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _says_something(self) -> Correct:
        if not self.agent.said():
            raise ValueError("a correction must say at least one of topic, sentiment, "
                             "needs_reply, spam")  # fmt: skip
        return self


class Reopen(_Action):
    kind: Literal["reopen"] = "reopen"


class Transfer(_Action):
    kind: Literal["transfer"] = "transfer"
    queue: str = Field(min_length=1, max_length=64)


class SetPriority(_Action):
    kind: Literal["set_priority"] = "set_priority"
    priority: Priority


class Tag(_Action):
    kind: Literal["tag"] = "tag"
    add: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20
    )
    remove: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20
    )


class Note(_Action):
    kind: Literal["note"] = "note"
    text: str = Field(min_length=1, max_length=5_000)


AgentAction = Annotated[
    Claim
    | Release
    | Reply
    | Resolve
    | NoReply
    | MarkSpam
    | Reopen
    | Transfer
    | SetPriority
    | Tag
    | Note
    | OpenCase
    | Correct,
    Field(discriminator="kind"),
]
"""One agent action; ``kind`` tells which."""

AGENT_ACTION: TypeAdapter[AgentAction] = TypeAdapter(AgentAction)
