"""Topics and index templates: created idempotently on a running Kafka and Elasticsearch.

Retention is decided here, per topic, and written out in ``deploy/k8s/base/topics.yaml`` (a
test compares the two) and docs/local-infra.md. Kafka is the system of record: the read model
is rebuilt from it (`tweetcare api reindex`), so a topic that is the record keeps everything.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Callable, Iterable, Mapping

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

DAY_MS = 24 * 3600 * 1000
# The record: every tweet heard, every triage decision, every agent action, every case change.
# The read model and the SLA's state are rebuilt from these, so they are never deleted.
RECORD = {
    TopicName.TWEETS_RAW.value,
    TopicName.TWEETS_TRIAGED.value,
    TopicName.AGENT_ACTIONS.value,
    TopicName.CASES_EVENTS.value,
}
# Work in flight and its outcomes (the outcome of every reply is also on cases.events) and dead
# letters: long enough to survive a month-long X outage or a stopped ingest, and to look into
# and replay a dead letter; not kept forever.
BOUNDED_MS = 30 * DAY_MS
# ingest.lease carries no records (its partition 0 is the lease): the broker's 7 days, written out.
LEASE_MS = 7 * DAY_MS

Say = Callable[[str], None]


def topic_names() -> list[str]:
    """Every topic tweetcare uses: the event topics, their dead-letter topics, the SLA
    service's state topic (co-partitioned with the case topics, so created here, compacted), and
    ingest's lease and shared state (compacted)."""
    names = [t.value for t in TopicName]
    return [*names, *(dlq_topic(n) for n in names), SLA_STATE, INGEST_LEASE, *INGEST_STATE]


def topic_config(name: str) -> dict[str, str]:
    """The broker settings tweetcare gives ``name``: its cleanup policy and, unless compacted,
    its retention (``-1``: kept forever). Every topic says both, so none depends on the broker's
    default (7 days)."""
    if name in COMPACTED:
        return {"cleanup.policy": "compact"}
    if name in RECORD:
        retention = -1
    elif name == INGEST_LEASE:
        retention = LEASE_MS
    else:
        retention = BOUNDED_MS
    return {"cleanup.policy": "delete", "retention.ms": str(retention)}


def config_changes(wanted: Mapping[str, str], current: Mapping[str, str]) -> dict[str, str]:
    """The settings of ``wanted`` whose ``current`` value differs (or is missing)."""
    return {k: v for k, v in wanted.items() if current.get(k) != v}


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


def apply_topic_configs(
    bootstrap: str, wanted: Mapping[str, Mapping[str, str]], say: Say | None = None
) -> dict[str, dict[str, str]]:
    """Give existing topics the settings of ``wanted`` (topic -> settings) where they differ
    (a topic made before retention was decided keeps the broker's 7 days until then); returns
    what changed, by topic, saying each change. Other settings of a topic stay as they are
    (incremental alter). Raises :class:`InfraError` naming the topic the broker refused."""
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    try:
        existing = set(admin.list_topics())
        names = sorted(n for n in wanted if n in existing)
        current = _current_configs(admin, names, wanted) if names else {}
        changes = {n: config_changes(wanted[n], current.get(n, {})) for n in names}
        changes = {n: c for n, c in changes.items() if c}
        for i, (name, change) in enumerate(sorted(changes.items()), 1):
            if say is not None:
                was = ", ".join(f"{k}={current[name].get(k, '?')}" for k in change)
                now = ", ".join(f"{k}={v}" for k, v in change.items())
                say(f"topic config {i}/{len(changes)}: {name}: {was} -> {now}")
            result = admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, name, configs=dict(change))],
                incremental=True,
            )
            outcome = result["topic"][name]
            if outcome != "OK":
                raise InfraError(
                    f"Kafka refused the settings {change} of topic {name}: {outcome}; set them "
                    "with kafka-configs.sh --alter, or delete the topic if it holds nothing to keep"
                )
        return changes
    finally:
        admin.close()


def _current_configs(
    admin: object, names: Iterable[str], wanted: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    from kafka.admin import ConfigResource, ConfigResourceType

    resources = [
        ConfigResource(ConfigResourceType.TOPIC, n, configs=dict.fromkeys(wanted[n])) for n in names
    ]
    found = admin.describe_configs(resources, config_filter="all")  # type: ignore[attr-defined]
    return {
        name: {k: str(entry["value"]) for k, entry in entries.items()}
        for name, entries in found["topic"].items()
    }


def provision_topics(settings: InfraSettings, say: Say) -> list[str]:
    """Create the missing topics and give every existing one its settings, saying what it did;
    returns the topics created."""
    created = create_topics(settings)
    say(
        f"topics: {len(created)} created, partitions {settings.kafka_partitions}"
        if created
        else "topics: all present"
    )
    wanted = {n: topic_config(n) for n in topic_names() if n not in created}
    changed = apply_topic_configs(settings.kafka_bootstrap, wanted, say)
    say(f"topic configs: {len(changed)} changed" if changed else "topic configs: all as decided")
    return created


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
