"""A namespace: the four services on topics, consumer groups and indices of their own.

Every topic, faust app id and consumer group of the services is a setting (``*_topic``,
``*_app_id``, ``*_group`` fields of their settings classes) and so is the read model's index
prefix. A namespace ``n`` gives each its default value prefixed: topic ``tweets.raw`` becomes
``n.tweets.raw``, app id ``tweetcare-sla`` becomes ``n.tweetcare-sla`` (so faust's changelog and
leader topics fall under ``n.`` too), the index prefix ``tweetcare`` becomes ``n-tweetcare``.
The names are read from the settings classes themselves, so a topic a service adds later is
namespaced without touching this module.

Two runs in different namespaces share the Kafka and Elasticsearch but no data: the pipeline
benchmark runs in a fresh namespace each time and removes it at the end (:func:`remove`); a
demo started with ``TWEETCARE_DEMO_NAMESPACE`` runs beside the default one.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

from services.plumbing.contracts.codecs import dlq_topic
from services.plumbing.settings import ENV_PREFIX

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_NAMED_SUFFIXES = ("_topic", "_app_id", "_group")


class NamespaceError(ValueError):
    """A namespace name Kafka or Elasticsearch would refuse, or a namespace that cannot be
    created; the message says which and why."""


def _settings_classes() -> list[type[BaseSettings]]:
    from services.api.settings import ApiSettings
    from services.ingest.settings import IngestServiceSettings
    from services.sla.settings import SlaSettings
    from services.triage.settings import TriageSettings

    return [TriageSettings, SlaSettings, ApiSettings, IngestServiceSettings]


def _named_defaults(classes: list[type[BaseSettings]]) -> dict[str, str]:
    """Every ``*_topic``/``*_app_id``/``*_group`` field with a name as default, by field name
    (fields defaulting to None derive from another, e.g. ``triage_dlq_topic``)."""
    found: dict[str, str] = {}
    for cls in classes:
        for name, info in cls.model_fields.items():
            if name.endswith(_NAMED_SUFFIXES) and isinstance(info.default, str):
                found[name] = info.default
    return found


@dataclass(frozen=True)
class Namespace:
    """Names of one namespace; pure (nothing is created until :func:`create_topics`)."""

    name: str
    base_index_prefix: str = "tweetcare"

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise NamespaceError(
                f"namespace {self.name!r}: use 1-40 lowercase letters, digits and '-', starting "
                "with a letter or digit (it prefixes Kafka topics and Elasticsearch indices)"
            )

    @property
    def index_prefix(self) -> str:
        return f"{self.name}-{self.base_index_prefix}"

    def named(self, default: str) -> str:
        """A topic, app id or group name inside the namespace."""
        return f"{self.name}.{default}"

    def values(self) -> dict[str, str]:
        """The namespaced value of every topic, app id and group setting, by field name
        (e.g. ``values()["sla_events_topic"] == "<name>.cases.events"``)."""
        return {
            field: self.named(default)
            for field, default in _named_defaults(_settings_classes()).items()
        }

    def env(self) -> dict[str, str]:
        """Environment variables that put the services in this namespace."""
        env = {ENV_PREFIX + field.upper(): value for field, value in self.values().items()}
        env[ENV_PREFIX + "ES_INDEX_PREFIX"] = self.index_prefix
        return env

    def topics(self) -> dict[str, dict[str, str]]:
        """Every topic the services use in this namespace, with its dead-letter topic, and the
        broker settings each needs (the SLA's state topic is compacted, as ``infra up`` makes
        the default one)."""
        from services.localinfra.provision import topic_config, topic_names

        defaults = set(topic_names())
        for field, value in _named_defaults(_settings_classes()).items():
            if field.endswith("_topic"):
                defaults.update((value, dlq_topic(value)))
        return {self.named(t): topic_config(t) for t in sorted(defaults)}


def create_topics(
    bootstrap: str, topics: dict[str, dict[str, str]], partitions: int, replication: int
) -> None:
    """Create ``topics`` (name: broker settings) that are missing, with the product's partition
    count (one SLA worker owns a case's partition on every topic, so they must match); raises
    :class:`NamespaceError` when Kafka refuses."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    try:
        existing = set(admin.list_topics())
        missing = {n: c for n, c in topics.items() if n not in existing}
        if missing:
            admin.create_topics(
                {n: {"num_partitions": partitions, "replication_factor": replication,
                     "configs": configs} for n, configs in missing.items()},
                timeout_ms=30_000, wait_for_metadata=True,
            )  # fmt: skip
    except KafkaError as exc:
        raise NamespaceError(f"creating the namespace's topics on {bootstrap}: {exc}") from exc
    finally:
        admin.close()


@dataclass
class Removed:
    topics: list[str]
    groups: list[str]
    indices: list[str]
    templates: list[str]


def remove(namespace: Namespace, bootstrap: str, es_url: str) -> Removed:
    """Delete the namespace's topics (faust's own included), consumer groups, indices, index
    templates and faust data directories. Idempotent; an error says what was left behind."""
    from elasticsearch import Elasticsearch
    from kafka import KafkaAdminClient

    prefix = f"{namespace.name}."
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    try:
        topics = sorted(t for t in admin.list_topics() if t.startswith(prefix))
        if topics:
            admin.delete_topics(topics, timeout_ms=30_000)
        groups = sorted(
            str(g["group_id"]) for g in admin.list_groups() if str(g["group_id"]).startswith(prefix)
        )
        if groups:
            admin.delete_groups(groups)
    finally:
        admin.close()
    es = Elasticsearch(es_url, request_timeout=30)
    try:
        pattern = f"{namespace.index_prefix}-*"
        found: Any = es.indices.get(index=pattern, expand_wildcards="all", ignore_unavailable=True)
        indices = sorted(found)
        if indices:
            # By name: Elasticsearch refuses wildcard deletes (action.destructive_requires_name).
            es.indices.delete(index=",".join(indices))
        got: Any = es.options(ignore_status=404).indices.get_index_template(name=pattern)
        templates = sorted(t["name"] for t in got.get("index_templates", []))
        for name in templates:
            es.indices.delete_index_template(name=name)
    finally:
        es.close()
    for datadir in Path(tempfile.gettempdir()).glob(f"tweetcare-faust-{namespace.name}.*"):
        shutil.rmtree(datadir, ignore_errors=True)
    return Removed(topics, groups, indices, templates)
