"""Settings of the local infrastructure runner (`tweetcare infra`)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from services.plumbing.settings import ServiceSettings


def _is_root() -> bool:
    return os.geteuid() == 0


def _default_state_dir() -> Path:
    # As root, Elasticsearch runs as its own system user, which cannot enter /root: use /var.
    if _is_root():
        return Path("/var/lib/tweetcare")
    return Path.home() / ".local" / "state" / "tweetcare"


def _default_cache_dir() -> Path:
    if _is_root():
        return Path("/var/cache/tweetcare")
    return Path.home() / ".cache" / "tweetcare"


class InfraSettings(ServiceSettings):
    """Where Kafka, Elasticsearch and Prometheus listen, what runs, where state and downloads go.

    The listening ports come from ``TWEETCARE_KAFKA_BOOTSTRAP`` and ``TWEETCARE_ES_URL``, and the
    ports Prometheus scrapes from ``TWEETCARE_API_PORT`` and ``TWEETCARE_*_METRICS_PORT``: the same
    settings the services read, so the two can never disagree.
    """

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_partitions: int = Field(default=4, ge=1)
    kafka_controller_port: int = Field(default=9093, ge=1, le=65535)
    kafka_version: str = "3.9.2"
    kafka_heap: str = "512m"
    es_url: str = "http://127.0.0.1:9200"
    es_transport_port: int = Field(default=9300, ge=1, le=65535)
    es_version: str = "8.19.21"
    es_heap: str = "512m"
    es_user: str = "tweetcare-es"
    es_index_prefix: str = "tweetcare"
    prometheus_url: str = "http://127.0.0.1:9090"
    # Debian's package name, optionally pinned: "prometheus=2.42.0+ds-5+deb12u1".
    prometheus_package: str = "prometheus"
    # The services' ports, under the names the services read, for Prometheus to scrape.
    api_port: int = Field(default=8000, ge=1, le=65535)
    ingest_metrics_port: int = Field(default=8001, ge=1, le=65535)
    triage_metrics_port: int = Field(default=8002, ge=1, le=65535)
    sla_metrics_port: int = Field(default=8003, ge=1, le=65535)
    state_dir: Path = Field(default_factory=_default_state_dir)
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    start_timeout_s: float = Field(default=120.0, gt=0)

    @field_validator("es_url", "prometheus_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("must be host:port, e.g. 127.0.0.1:9092")
        return value

    @property
    def kafka_port(self) -> int:
        return int(self.kafka_bootstrap.rsplit(":", 1)[1])

    @property
    def es_port(self) -> int:
        return urlsplit(self.es_url).port or 9200

    @property
    def prometheus_port(self) -> int:
        return urlsplit(self.prometheus_url).port or 9090

    @property
    def run_as_es_user(self) -> bool:
        """Elasticsearch refuses to run as root: as root it runs as :attr:`es_user`."""
        return _is_root()
