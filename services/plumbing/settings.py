"""Settings helpers: one frozen settings object per service, read once from the environment.

Every service defines a subclass of :class:`ServiceSettings` and builds it with
:func:`load_settings` at its entry point. Nothing else reads ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "TWEETCARE_"

# The repository root when running from a checkout (services/plumbing/settings.py -> root).
REPO_ROOT = Path(__file__).resolve().parents[2]


class SettingsError(Exception):
    """Settings are missing or invalid; the message names every offending variable."""


class ServiceSettings(BaseSettings):
    """Base for the settings of one service: ``TWEETCARE_``-prefixed, immutable."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    metrics_host: str = "127.0.0.1"  # where /metrics and /healthz listen; 0.0.0.0 in containers


class KafkaSettings(ServiceSettings):
    """Where the Kafka cluster is and how topics are laid out."""

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_partitions: int = 4
    kafka_replication: int = 1


class ElasticsearchSettings(ServiceSettings):
    """Where Elasticsearch is and the prefix of tweetcare's indices."""

    es_url: str = "http://127.0.0.1:9200"
    es_index_prefix: str = "tweetcare"


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S]) -> S:
    """Build ``cls`` from the environment; raise :class:`SettingsError` naming each bad variable."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        problems = []
        for err in exc.errors():
            name = (prefix + "_".join(str(p) for p in err["loc"])).upper()
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError(
            f"{cls.__name__}: invalid or missing settings: " + "; ".join(problems)
        ) from exc
