"""deploy/k8s: every overlay rendered with `kubectl kustomize` and checked with kubeconform against
the Kubernetes schemas and the four operators' CRD schemas; the topics, autoscaling, probes and
alert rules compared with what the code and the local runner use, so the two cannot drift.

The first run builds kubeconform into the tool cache (`go install` from the Go module proxy,
a minute or two); later runs take a few seconds, offline.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.api.settings import ApiSettings
from services.ingest.settings import IngestServiceSettings
from services.localinfra import kafka, kubeconform
from services.localinfra.provision import topic_config, topic_names
from services.localinfra.settings import InfraSettings
from services.plumbing.settings import REPO_ROOT
from services.sla.settings import SlaSettings
from services.triage.settings import TriageSettings

Doc = dict[str, Any]
OVERLAYS = [p.name for p in kubeconform.overlays()]


@pytest.fixture(scope="module")
def settings(pytestconfig: pytest.Config) -> InfraSettings:
    """The tool cache, with kubeconform built into it (its progress shown past pytest's capture:
    a first run should not look stuck)."""
    infra = InfraSettings()
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        kubeconform.ensure_installed(infra, lambda line: print(line, file=sys.stderr, flush=True))
    return infra


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return {name: kubeconform.render(kubeconform.K8S / "overlays" / name) for name in OVERLAYS}


def _docs(text: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all(text) if d]


def _of(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _config(docs: list[Doc]) -> dict[str, str]:
    config: dict[str, str] = _of(docs, "ConfigMap")["tweetcare"]["data"]
    return config


def test_there_are_dev_and_prod_overlays() -> None:
    assert {"dev", "prod"} <= set(OVERLAYS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_is_valid(
    settings: InfraSettings, rendered: dict[str, str], overlay: str
) -> None:
    docs = _docs(rendered[overlay])
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "StatefulSet", "PodDisruptionBudget", "KafkaTopic", "Elasticsearch",
            "ScaledObject", "ServiceMonitor", "PrometheusRule"} <= kinds  # fmt: skip
    assert kubeconform.validate(settings, rendered[overlay]) == []


def test_the_check_finds_unknown_fields_in_kubernetes_and_custom_resources(
    settings: InfraSettings, rendered: dict[str, str]
) -> None:
    docs = _docs(rendered["dev"])
    broken = copy.deepcopy(docs)
    for doc in broken:
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "tweetcare-sla":
            container = doc["spec"]["template"]["spec"]["containers"][0]
            container["livenesProbe"] = container.pop("livenessProbe")  # a typo
        if doc["kind"] == "KafkaTopic" and doc["metadata"]["name"] == "tweets.raw":
            doc["spec"]["partition"] = doc["spec"].pop("partitions")
        if doc["kind"] == "ScaledObject" and doc["metadata"]["name"] == "tweetcare-triage":
            doc["spec"]["maxReplicaCount"] = "4"  # a string
    found = kubeconform.validate(settings, yaml.safe_dump_all(broken))
    assert sorted((f.kind, f.name, f.status) for f in found) == [
        ("Deployment", "tweetcare-sla", "statusInvalid"),
        ("KafkaTopic", "tweets.raw", "statusInvalid"),
        ("ScaledObject", "tweetcare-triage", "statusInvalid"),
    ]


def _local_retention_ms() -> int:
    """The retention of the local broker (`tweetcare infra up`), which provision's topics get."""
    props = kafka._properties(InfraSettings(), Path("/nowhere"))
    hours = next(line.split("=")[1] for line in props.splitlines() if "log.retention.hours" in line)
    return int(hours) * 3600 * 1000


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_topics_are_the_ones_provision_creates(
    rendered: dict[str, str], overlay: str
) -> None:
    docs = _docs(rendered[overlay])
    topics = _of(docs, "KafkaTopic")
    assert sorted(topics) == sorted(topic_names())
    partitions = int(_config(docs)["TWEETCARE_KAFKA_PARTITIONS"])
    replication = int(_config(docs)["TWEETCARE_KAFKA_REPLICATION"])
    for name, topic in topics.items():
        spec = topic["spec"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "tweetcare"
        # Every topic alike: the case topics and sla.cases are co-partitioned.
        assert (spec["partitions"], spec["replicas"]) == (partitions, replication), name
        assert spec["config"]["min.insync.replicas"] <= spec["replicas"]
        # The same cleanup policy and retention as provision gives the local broker's topics,
        # and nothing else beside min.insync.replicas.
        config = {k: str(v) for k, v in spec["config"].items() if k != "min.insync.replicas"}
        assert config == topic_config(name), name


def test_the_record_is_kept_and_everything_else_is_bounded_or_compacted() -> None:
    configs = {name: topic_config(name) for name in topic_names()}
    forever = sorted(n for n, c in configs.items() if c.get("retention.ms") == "-1")
    assert forever == ["agent.actions", "cases.events", "tweets.raw", "tweets.triaged"]
    for name, config in configs.items():
        if config["cleanup.policy"] == "compact":
            assert "retention.ms" not in config, name
        else:
            assert config["cleanup.policy"] == "delete", name
            assert name in forever or 0 < int(config["retention.ms"]) <= _local_retention_ms() * 5


def test_dev_has_the_partitions_infra_provision_creates(rendered: dict[str, str]) -> None:
    docs = _docs(rendered["dev"])
    assert {t["spec"]["partitions"] for t in _of(docs, "KafkaTopic").values()} == {
        InfraSettings().kafka_partitions
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_triage_and_sla_scale_on_their_input_lag_up_to_its_partitions(
    rendered: dict[str, str], overlay: str
) -> None:
    docs = _docs(rendered[overlay])
    topics, deployments = _of(docs, "KafkaTopic"), _of(docs, "Deployment")
    scaled = _of(docs, "ScaledObject")
    triage, sla = TriageSettings(), SlaSettings()
    inputs = {
        "tweetcare-triage": (triage.triage_in_topic, triage.triage_app_id),
        "tweetcare-sla": (sla.sla_triaged_topic, sla.sla_app_id),
    }
    assert sorted(scaled) == sorted(inputs)
    for name, (topic, group) in inputs.items():
        spec = scaled[name]["spec"]
        assert spec["scaleTargetRef"]["name"] in deployments
        [trigger] = spec["triggers"]
        assert trigger["type"] == "kafka"
        metadata = trigger["metadata"]
        assert (metadata["topic"], metadata["consumerGroup"]) == (topic, group)
        assert trigger["metadata"]["bootstrapServers"] == _config(docs)["TWEETCARE_KAFKA_BOOTSTRAP"]
        assert spec["maxReplicaCount"] == topics[topic]["spec"]["partitions"], name
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]


def _pod(workload: Doc) -> Doc:
    pod: Doc = workload["spec"]["template"]
    return pod


def _env(container: Doc) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


# Each service's port as its settings name it, and its health pages (live, ready).
SERVICES = {
    "tweetcare-ingest": ("TWEETCARE_INGEST_METRICS_PORT",
                         IngestServiceSettings().ingest_metrics_port, "/healthz", "/healthz"),
    "tweetcare-triage": ("TWEETCARE_TRIAGE_METRICS_PORT", TriageSettings().triage_metrics_port,
                         "/healthz", "/healthz"),
    "tweetcare-sla": ("TWEETCARE_SLA_METRICS_PORT", SlaSettings().sla_metrics_port,
                      "/healthz", "/healthz"),
    "tweetcare-api": ("TWEETCARE_API_PORT", ApiSettings().api_port, "/healthz", "/readyz"),
}  # fmt: skip


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_probes_its_health_pages_with_resources_and_a_budget(
    rendered: dict[str, str], overlay: str
) -> None:
    docs = _docs(rendered[overlay])
    workloads = {**_of(docs, "Deployment"), **_of(docs, "StatefulSet")}
    budgets = _of(docs, "PodDisruptionBudget")
    assert sorted(workloads) == sorted(SERVICES)
    for name, (port_env, port, live, ready) in SERVICES.items():
        pod = _pod(workloads[name])
        [container] = pod["spec"]["containers"]
        assert container["args"] == [name.removeprefix("tweetcare-"), "run"]
        assert int(_env(container)[port_env]) == port
        [declared] = container["ports"]
        assert declared["containerPort"] == port
        for probe, path in (("livenessProbe", live), ("readinessProbe", ready),
                            ("startupProbe", live)):  # fmt: skip
            assert container[probe]["httpGet"] == {"path": path, "port": declared["name"]}, name
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
        assert "memory" in container["resources"]["limits"], name
        selector = budgets[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod["metadata"]["labels"].items(), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingest_keeps_its_state_dir_on_its_own_volume(
    rendered: dict[str, str], overlay: str
) -> None:
    ingest = _of(_docs(rendered[overlay]), "StatefulSet")["tweetcare-ingest"]
    assert ingest["spec"]["replicas"] == 1
    [claim] = ingest["spec"]["volumeClaimTemplates"]
    [container] = _pod(ingest)["spec"]["containers"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == _env(container)["TWEETCARE_X_STATE_DIR"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_scrapes_the_jobs_the_alerts_name(
    rendered: dict[str, str], overlay: str
) -> None:
    docs = _docs(rendered[overlay])
    compose = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in compose["scrape_configs"]}
    services = _of(docs, "Service")
    assert set(services) == jobs  # the operator names each job after its Service
    [monitor] = _of(docs, "ServiceMonitor").values()
    ports = {e["port"] for e in monitor["spec"]["endpoints"]}
    for name, service in services.items():
        labels = service["metadata"]["labels"]
        assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
        assert {p["name"] for p in service["spec"]["ports"]} & ports, name
    interval = compose["global"]["scrape_interval"]
    assert {e["interval"] for e in monitor["spec"]["endpoints"]} == {interval}


def test_the_prometheus_rule_is_deploy_prometheus_alerts(rendered: dict[str, str]) -> None:
    assert kubeconform.PROMETHEUS_RULE.read_text() == kubeconform.prometheus_rule_text(), (
        "deploy/k8s/base/prometheusrule.yaml differs from deploy/prometheus/alerts.yml: run "
        "`python -m services.localinfra.kubeconform rules`"
    )
    alerts = yaml.safe_load(kubeconform.ALERTS.read_text())
    for overlay in OVERLAYS:
        [rule] = _of(_docs(rendered[overlay]), "PrometheusRule").values()
        assert rule["spec"]["groups"] == alerts["groups"]
