"""Settings of the API service."""

from __future__ import annotations

from pydantic import Field, SecretStr

from services.plumbing.contracts.codecs import TopicName
from services.plumbing.settings import ElasticsearchSettings, KafkaSettings


class ApiSettings(KafkaSettings, ElasticsearchSettings):
    """Where the API listens, how long an action waits for its outcome, the live buffer, what
    one token may use, and the key that signs cursors and stream tickets (unset: a random key
    per process, so a cursor or ticket works only on the replica that made it, until restart —
    set it, the same on every replica, behind a balancer)."""

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_action_timeout_s: float = Field(default=5.0, gt=0, le=60)
    api_live_buffer: int = Field(default=10_000, ge=100)
    api_indexer_group: str = "tweetcare-api-indexer"
    # Refresh the cases index after each bulk that wrote cases: a new case is in its queue
    # ~0.3 s sooner (docs/api.md), for ~0.1 core more of Elasticsearch at 300 tweets/s.
    api_indexer_refresh_cases: bool = True
    api_token_cache_s: float = Field(default=5.0, ge=0)
    api_tweets_topic: str = TopicName.TWEETS_TRIAGED.value
    api_cases_topic: str = TopicName.CASES_EVENTS.value
    api_actions_topic: str = TopicName.AGENT_ACTIONS.value
    api_docs: bool = True
    api_secret: SecretStr | None = Field(default=None, min_length=32)
    api_max_body_bytes: int = Field(default=65_536, ge=1_024)
    api_rate_per_s: float = Field(default=20.0, gt=0)
    api_rate_burst: int = Field(default=100, ge=1)
    api_exports_per_token: int = Field(default=2, ge=1)
