"""What the SLA service reads of a triaged tweet: the fields that open, thread and time a case.

A triaged tweet carries its text, entities and up to fifty triage reasons; validating all of it
was a third of the SLA worker's time, for fields it never reads. This codec validates exactly the
fields the case code uses (with the contract's own types and limits; unknown and unused fields
are ignored, and the version must be one this consumer reads) and builds a ``TriagedTweet``
holding only those. The full contract is still enforced by the producer (triage encodes with the
topic's codec) and by the read model's indexer, which dead-letters what does not match it.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from services.plumbing.contracts.codecs import TWEETS_TRIAGED, Codec
from services.plumbing.contracts.common import CaseKey, Channel, Direction, Id, Priority, UtcTime
from services.plumbing.contracts.tweets import (
    Author,
    Influence,
    Sentiment,
    Topic,
    Triage,
    TriagedTweet,
    TweetEvent,
)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Tweet(_View):
    tweet_id: Id
    conversation_id: Id
    dm_conversation_id: Id | None = None
    author: Author
    brand: Id
    handle: str = Field(max_length=64)
    direction: Direction
    channel: Channel
    case_key: CaseKey
    created_at: UtcTime


class _Influence(_View):
    vip: bool


class _Triage(_View):
    lang: str = Field(pattern=r"^[a-z]{2}$|^und$")
    topic: Topic
    sentiment: Sentiment
    needs_reply: bool
    influence: _Influence
    priority: Priority
    queue: str = Field(min_length=1, max_length=64)


class _Triaged(_View):
    event_id: Id
    version: Literal[1] = 1
    tweet: _Tweet
    triage: _Triage
    model_version: str = Field(max_length=64)


class CaseInputCodec(Codec[TriagedTweet]):
    """``tweets.triaged`` as the SLA service reads it (see the module docstring)."""

    def from_dict(self, doc: object) -> TriagedTweet:
        return _built(_VIEW.from_dict(doc))

    def from_json(self, data: bytes) -> TriagedTweet:
        return _built(_VIEW.from_json(data))


def _built(view: _Triaged) -> TriagedTweet:
    """The ``TriagedTweet`` holding just what ``view`` validated."""
    t, tri = view.tweet, view.triage
    influence = _holding(Influence, {"vip": tri.influence.vip})
    triage = _holding(Triage, {**tri.__dict__, "influence": influence})
    tweet = _holding(TweetEvent, dict(t.__dict__))
    return _holding(TriagedTweet, {"event_id": view.event_id, "tweet": tweet, "triage": triage,
                                   "model_version": view.model_version})  # fmt: skip


M = TypeVar("M", bound=BaseModel)


def _holding(model: type[M], values: dict[str, Any]) -> M:
    """An instance of ``model`` holding just ``values`` (already validated by the view).

    What ``model_construct`` does without filling in defaults, which in this pydantic inspects
    every default factory's signature on each call (most of its cost)."""
    obj = model.__new__(model)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


_VIEW: Codec[_Triaged] = Codec(TWEETS_TRIAGED.topic, TypeAdapter(_Triaged))
CASE_INPUTS = CaseInputCodec(TWEETS_TRIAGED.topic, TWEETS_TRIAGED.adapter)
