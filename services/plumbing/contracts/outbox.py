"""``outbox.replies`` (sla → ingest) and ``outbox.results`` (ingest → sla). Key: ``case_key``."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from services.plumbing.contracts.actions import Actor
from services.plumbing.contracts.common import CaseKey, Channel, Event, Id, UtcTime


class OutboxReply(Event):
    """A reply to post on X, at most once per ``reply_id``. A DM case is only answered by DM."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"channel": {"const": "public"}}},
                    "then": {
                        "required": ["in_reply_to_tweet_id"],
                        "properties": {"in_reply_to_tweet_id": {"type": "string"}},
                    },
                },
                {
                    "if": {"properties": {"channel": {"const": "dm"}}},
                    "then": {
                        "required": ["dm_recipient_id"],
                        "properties": {"dm_recipient_id": {"type": "string"}},
                    },
                },
            ]
        }
    )

    version: Literal[1] = 1
    reply_id: Id
    case_id: Id
    case_key: CaseKey
    brand: Id
    handle: str = Field(max_length=64, description="The brand handle that posts")
    channel: Channel
    in_reply_to_tweet_id: Id | None = None
    dm_recipient_id: Id | None = None
    dm_conversation_id: Id | None = None
    text: str = Field(min_length=1, max_length=10_000)
    requested_by: Actor
    requested_at: UtcTime

    @model_validator(mode="after")
    def _target_matches_channel(self) -> OutboxReply:
        if self.channel == Channel.PUBLIC and self.in_reply_to_tweet_id is None:
            raise ValueError("a public reply needs in_reply_to_tweet_id")
        if self.channel == Channel.DM and self.dm_recipient_id is None:
            raise ValueError("a DM reply needs dm_recipient_id")
        return self


class OutboxResult(Event):
    """What became of one outbox reply: posted (with the new tweet id) or failed (with why)."""

    version: Literal[1] = 1
    reply_id: Id
    case_id: Id
    case_key: CaseKey
    status: Literal["posted", "failed"]
    posted_tweet_id: Id | None = None
    error_code: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=500)
    attempted_at: UtcTime
