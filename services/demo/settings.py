"""Settings of `tweetcare demo`: where its processes log, and the ports it prints."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import Field

from services.plumbing.settings import ElasticsearchSettings, KafkaSettings


class DemoSettings(KafkaSettings, ElasticsearchSettings):
    demo_state_dir: Path = Path(tempfile.gettempdir()) / "tweetcare-demo"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    ingest_metrics_port: int = 8001
    triage_metrics_port: int = 8002
    sla_metrics_port: int = 8003
    demo_ready_timeout_s: float = Field(default=180.0, gt=0)
    demo_namespace: str = Field(
        default="", description="Topics, groups and indices of their own (services.demo.namespace)"
    )
