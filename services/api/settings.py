"""Settings of the API service."""

from __future__ import annotations

from pydantic import Field

from services.plumbing.contracts.codecs import TopicName
from services.plumbing.settings import ElasticsearchSettings, KafkaSettings


class ApiSettings(KafkaSettings, ElasticsearchSettings):
    """Where the API listens, how long an action waits for its outcome, the live buffer."""

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_action_timeout_s: float = Field(default=5.0, gt=0, le=60)
    api_live_buffer: int = Field(default=10_000, ge=100)
    api_indexer_group: str = "tweetcare-api-indexer"
    api_token_cache_s: float = Field(default=5.0, ge=0)
    api_tweets_topic: str = TopicName.TWEETS_TRIAGED.value
    api_cases_topic: str = TopicName.CASES_EVENTS.value
    api_actions_topic: str = TopicName.AGENT_ACTIONS.value
