"""Topics and index templates: created idempotently on a running Kafka and Elasticsearch."""

from __future__ import annotations

import urllib.error

from services.api.readmodel.indices import templates
from services.localinfra import elasticsearch
from services.localinfra.procs import InfraError
from services.localinfra.settings import InfraSettings
from services.plumbing.contracts.codecs import TopicName, dlq_topic

SLA_STATE = "sla.cases"  # the default of TWEETCARE_SLA_STATE_TOPIC
# What ingest's replicas share (the defaults of TWEETCARE_INGEST_LEASE/CURSORS/LEDGER_TOPIC).
INGEST_LEASE = "ingest.lease"
INGEST_STATE = ("ingest.cursors", "ingest.outbox.ledger")
COMPACTED = {SLA_STATE, *INGEST_STATE}


def topic_names() -> list[str]:
    """Every topic tweetcare uses: the event topics, their dead-letter topics, the SLA
    service's state topic (co-partitioned with the case topics, so created here, compacted), and
    ingest's lease and shared state (compacted)."""
    names = [t.value for t in TopicName]
    return [*names, *(dlq_topic(n) for n in names), SLA_STATE, INGEST_LEASE, *INGEST_STATE]


def topic_config(name: str) -> dict[str, str]:
    """Broker settings of ``name`` beyond the defaults."""
    return {"cleanup.policy": "compact"} if name in COMPACTED else {}


def create_topics(settings: InfraSettings) -> list[str]:
    """Create the missing topics with ``kafka_partitions`` partitions; returns those created."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=30000)
    try:
        existing = set(admin.list_topics())
        missing = [n for n in topic_names() if n not in existing]
        if missing:
            admin.create_topics(
                {
                    n: {
                        "num_partitions": settings.kafka_partitions,
                        "replication_factor": 1,
                        "configs": topic_config(n),
                    }
                    for n in missing
                },
                timeout_ms=30000,
                wait_for_metadata=True,
            )
        return missing
    finally:
        admin.close()


def put_templates(settings: InfraSettings) -> list[str]:
    """Install (or update) the index templates; returns their names."""
    names = []
    for name, body in templates(settings.es_index_prefix).items():
        try:
            elasticsearch.request(settings, "PUT", f"/_index_template/{name}", body)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise InfraError(f"installing index template {name} failed: {detail}") from exc
        names.append(name)
    return names
