"""``agent.actions`` (api → sla): what an agent asks to do to a case. Key: ``case_key``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from services.plumbing.contracts.common import CaseKey, Channel, Event, Id, Part, Priority, UtcTime


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


class Resolve(_Action):
    kind: Literal["resolve"] = "resolve"


class NoReply(_Action):
    kind: Literal["no_reply"] = "no_reply"
    reason: str = Field(default="", max_length=200)


class MarkSpam(_Action):
    kind: Literal["spam"] = "spam"


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
    | Note,
    Field(discriminator="kind"),
]
"""One agent action; ``kind`` tells which."""

AGENT_ACTION: TypeAdapter[AgentAction] = TypeAdapter(AgentAction)
