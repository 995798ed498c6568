"""``tweets.raw`` (ingest → triage) and ``tweets.triaged`` (triage → sla, api)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from services.plumbing.contracts.common import (
    CaseKey,
    Channel,
    Direction,
    Event,
    Id,
    Part,
    Priority,
    UtcTime,
)


class Source(StrEnum):
    X_STREAM = "x_stream"
    X_MENTIONS = "x_mentions"
    X_SEARCH = "x_search"
    X_DM = "x_dm"
    X_OWN = "x_own"
    REPLAY_X = "replay_x"
    REPLAY_TWCS = "replay_twcs"
    REPLAY_IBM = "replay_ibm"
    GENERATED = "generated"


class MatchKind(StrEnum):
    MENTION = "mention"
    KEYWORD = "keyword"
    DM = "dm"
    THREAD = "thread"
    OWN = "own"


# How directly a tweet concerns the brand, most direct first (``TweetEvent.found_via``).
FOUND_VIA_ORDER = (
    MatchKind.OWN,
    MatchKind.DM,
    MatchKind.MENTION,
    MatchKind.THREAD,
    MatchKind.KEYWORD,
)


class Author(Part):
    id: Id
    handle: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=200)
    followers: int | None = Field(default=None, ge=0)
    following: int | None = Field(default=None, ge=0)
    verified: bool = False
    description: str | None = Field(default=None, max_length=1000)
    location: str | None = Field(default=None, max_length=200)
    created_at: UtcTime | None = None


class Match(Part):
    """Why this tweet concerns the brand: a mention, a keyword rule, a DM, a thread reply."""

    kind: MatchKind
    rule: str | None = Field(default=None, max_length=512, description="The rule's tag or value")


class TweetEvent(Event):
    """One tweet (or DM event), normalised from any source. Key: ``case_key``."""

    version: Literal[1] = 1
    tweet_id: Id
    conversation_id: Id
    in_reply_to_tweet_id: Id | None = None
    in_reply_to_user_id: Id | None = None
    retweet_of_id: Id | None = None
    quoted_tweet_id: Id | None = None
    text: str = Field(max_length=10_000)
    lang_hint: str | None = Field(default=None, max_length=8, description="X's own language tag")
    author: Author
    mentions: list[str] = Field(default_factory=list, max_length=100)
    hashtags: list[str] = Field(default_factory=list, max_length=100)
    urls: list[str] = Field(default_factory=list, max_length=100)
    brand: Id
    handle: str = Field(max_length=64, description="The brand handle this tweet concerns")
    matched: list[Match] = Field(min_length=1)
    direction: Direction
    channel: Channel
    dm_conversation_id: Id | None = None
    case_key: CaseKey
    created_at: UtcTime
    received_at: UtcTime
    source: Source

    @property
    def found_via(self) -> MatchKind:
        """How the tweet reached us, the most direct way first: the brand's own, a DM, an
        @-mention, a reply in a brand thread, a keyword rule (derived from ``matched``; not on
        the wire)."""
        return min((m.kind for m in self.matched), key=FOUND_VIA_ORDER.index)


class Topic(StrEnum):
    DELIVERY = "delivery"
    RETURNS_REFUNDS = "returns_refunds"
    BILLING = "billing"
    ACCOUNT = "account"
    TECHNICAL = "technical"
    PRODUCT_INFO = "product_info"
    CUSTOMER_SERVICE = "customer_service"
    PRAISE = "praise"
    OTHER = "other"


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class PiiKind(StrEnum):
    ORDER_NUMBER = "order_number"
    PHONE = "phone"
    EMAIL = "email"
    POSTAL_ADDRESS = "postal_address"
    CARD_NUMBER = "card_number"
    ACCOUNT_ID = "account_id"


class InfluenceTier(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CELEBRITY = "celebrity"


class Influence(Part):
    tier: InfluenceTier
    followers: int = Field(ge=0)
    verified: bool
    vip: bool


class Reason(Part):
    """One rule, word or score behind a decision, short enough to show an agent."""

    field: str = Field(max_length=32, description="Which decision: topic, complaint, priority, ...")
    rule: str = Field(max_length=64)
    detail: str = Field(default="", max_length=200)
    score: float | None = None


class Triage(Part):
    lang: str = Field(pattern=r"^[a-z]{2}$|^und$", description="ISO 639-1, or und")
    topic: Topic
    complaint: bool
    sentiment: Sentiment
    sentiment_score: float = Field(ge=-1.0, le=1.0)
    needs_reply: bool
    needs_reply_reason: str = Field(max_length=64)
    spam: bool
    pii: list[PiiKind] = Field(default_factory=list)
    move_to_dm: bool
    redacted_text: str = Field(max_length=10_000)
    influence: Influence
    urgency: list[str] = Field(default_factory=list, max_length=20)
    priority: Priority
    queue: str = Field(min_length=1, max_length=64)
    reasons: list[Reason] = Field(default_factory=list, max_length=50)


class TriagedTweet(Event):
    """A tweet with triage's decisions. Key: ``tweet.case_key``."""

    version: Literal[1] = 1
    tweet: TweetEvent
    triage: Triage
    model_version: str = Field(max_length=64, description="rules-N or the trained model's id")
    triaged_at: UtcTime
    original_text_kept: Annotated[
        bool, Field(description="False when configuration keeps only the redacted text")
    ] = True
