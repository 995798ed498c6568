"""Apache Kafka in KRaft mode (one combined broker and controller) on loopback."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
import uuid
from importlib import resources
from pathlib import Path

from services.localinfra.procs import InfraError, port_open, read_pid, start_detached, tail
from services.localinfra.settings import InfraSettings
from services.localinfra.tools import java_home, run_maven

NAME = "kafka"


def home(settings: InfraSettings) -> Path:
    """Where the broker's jars are cached (outside the repository, shared by every checkout)."""
    return settings.cache_dir / f"kafka-{settings.kafka_version}"


def state(settings: InfraSettings) -> Path:
    return settings.state_dir / NAME


def pid_file(settings: InfraSettings) -> Path:
    return state(settings) / "kafka.pid"


def log_file(settings: InfraSettings) -> Path:
    return state(settings) / "logs" / "server.log"


def ensure_installed(settings: InfraSettings) -> bool:
    """Fetch the broker's jars from Maven Central unless cached; True when it fetched."""
    libs = home(settings) / "libs"
    if (home(settings) / ".complete").exists():
        return False
    java_home()
    work = home(settings).with_name(home(settings).name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    pom = work / "pom.xml"
    pom.write_bytes(resources.files(__package__).joinpath("resources/kafka-pom.xml").read_bytes())
    run_maven(
        [
            "-f", str(pom),
            "dependency:copy-dependencies",
            f"-Dkafka.version={settings.kafka_version}",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={work / 'libs'}",
        ],
        f"Apache Kafka {settings.kafka_version}",
    )  # fmt: skip
    (work / ".complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    shutil.rmtree(home(settings), ignore_errors=True)
    work.rename(home(settings))
    assert libs.is_dir()
    return True


def _properties(settings: InfraSettings, data_dir: Path) -> str:
    port, cport = settings.kafka_port, settings.kafka_controller_port
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{cport}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": str(settings.kafka_partitions),
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "8",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # Without this every consumer-group join waits 3 s.
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
        "log.retention.hours": "168",
    }
    return "".join(f"{k}={v}\n" for k, v in lines.items())


def configure(settings: InfraSettings) -> Path:
    """Write the broker's configuration and format its storage once; returns the properties."""
    root = state(settings)
    config, data, logs = root / "config", root / "data", root / "logs"
    for path in (config, data, logs):
        path.mkdir(parents=True, exist_ok=True)
    props = config / "server.properties"
    props.write_text(_properties(settings, data))
    log4j = config / "log4j.properties"
    log4j.write_bytes(
        resources.files(__package__).joinpath("resources/kafka-log4j.properties").read_bytes()
    )
    if not (data / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        proc = subprocess.run(
            [*_java(settings, log4j, logs), "kafka.tools.StorageTool", "format",
             "-t", cluster_id, "-c", str(props)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise InfraError(f"formatting Kafka storage in {data} failed:\n{proc.stderr[-2000:]}")
    return props


def _java(settings: InfraSettings, log4j: Path, logs: Path) -> list[str]:
    return [
        str(java_home() / "bin" / "java"),
        f"-Dlog4j.configuration=file:{log4j}",
        f"-Dkafka.logs.dir={logs}",
        "-cp",
        str(home(settings) / "libs" / "*"),
    ]


def start(settings: InfraSettings) -> int:
    """Start the broker in the background; returns its pid (already running: the running pid)."""
    running = read_pid(pid_file(settings))
    if running is not None:
        return running
    for port in (settings.kafka_port, settings.kafka_controller_port):
        if port_open("127.0.0.1", port):
            raise InfraError(
                f"port {port} is taken by another program: stop it, or choose other ports with "
                "TWEETCARE_KAFKA_BOOTSTRAP / TWEETCARE_KAFKA_CONTROLLER_PORT"
            )
    props = configure(settings)
    root = state(settings)
    heap = settings.kafka_heap
    argv = [
        *_java(settings, root / "config" / "log4j.properties", root / "logs"),
        "kafka.Kafka",
        str(props),
    ]
    argv[1:1] = [f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true"]
    return start_detached(
        argv,
        log_file=root / "logs" / "stdout.log",
        pid_file=pid_file(settings),
        env=dict(os.environ),
        cwd=root,
    )


def healthy(settings: InfraSettings) -> bool:
    """The broker answers metadata requests."""
    if not port_open("127.0.0.1", settings.kafka_port):
        return False
    from kafka import KafkaAdminClient  # imported here: `infra status` must not need a broker

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=3000
        )
    except Exception:  # any connection error means "not yet"
        return False
    try:
        admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        admin.close()


def failure_hint(settings: InfraSettings) -> str:
    return f"Kafka did not become healthy; its log ({log_file(settings)}) ends:\n" + tail(
        log_file(settings)
    )


def pids(settings: InfraSettings) -> list[int]:
    """The live broker process, if any."""
    pid = read_pid(pid_file(settings))
    return [] if pid is None else [pid]
