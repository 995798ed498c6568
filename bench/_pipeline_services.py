"""The four services for the pipeline benchmark, started as `tweetcare demo` starts them (its
children, supervisor and seeding), in a fresh namespace with ports, policy and routes of the
run's own; and the CPU each process used."""

from __future__ import annotations

import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench._pipeline_load import PROBE_HANDLE, PROBE_QUEUE
from services.demo import supervisor
from services.demo.cli import ROUTING, children
from services.demo.namespace import Namespace, create_topics
from services.demo.settings import DemoSettings

CLK_TCK = os.sysconf("SC_CLK_TCK")
MACHINE = "machine"  # every process on the machine, ours or not


def policy_yaml(first_response_s: float, warn_at: float) -> str:
    """Clocks short enough to fall due during the run; escalation as the demo's policy."""
    return (
        f"# The pipeline benchmark's SLA policy: every case's clocks fall due during the run.\n"
        f"warn_at: [{warn_at}]\n"
        f"reopen_window: 1d\n"
        f"default: {{first_response: {first_response_s:g}s, next_response: "
        f"{first_response_s:g}s, resolution: 1d}}\n"
        f"escalation: {{on_warning: [], on_breach: [raise_priority]}}\n"
    )


def routing_yaml() -> str:
    """The demo's routes with the probe queue first (the probes' handle goes nowhere else)."""
    config = yaml.safe_load(ROUTING.read_text()) or {}
    probe = {"queue": PROBE_QUEUE, "when": {"handle": [PROBE_HANDLE]}}
    config["routes"] = [probe, *(config.get("routes") or [])]
    return "# The demo's routing plus the pipeline benchmark's probe queue.\n" + yaml.safe_dump(
        config, sort_keys=False, allow_unicode=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Services:
    settings: DemoSettings  # the run's: its ports and log directory
    space: Namespace
    running: list[supervisor.Running]

    @property
    def api_url(self) -> str:
        return f"http://{self.settings.api_host}:{self.settings.api_port}"

    def pids(self) -> dict[str, int]:
        return {r.child.name: r.pid for r in self.running}

    def dead(self) -> str | None:
        """The end of the log of a service that stopped, if one did."""
        gone = supervisor.first_dead(self.running)
        if gone is None:
            return None
        return f"{gone.child.name} stopped; the end of {gone.log}:\n{supervisor.last_lines(gone)}"

    def stop(self) -> None:
        supervisor.stop(self.running, self.settings.demo_state_dir)
        self.running = []


def prepare(
    base: DemoSettings, space: Namespace, run_dir: Path, policy: str
) -> tuple[DemoSettings, dict[str, str]]:
    """Create the namespace's topics and the run's files; the run's settings and the services'
    environment (the namespace's names, free ports, the policy and routes, quiet-ish logs)."""
    create_topics(base.kafka_bootstrap, space.topics(), base.kafka_partitions,
                  base.kafka_replication)  # fmt: skip
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "policy.yaml").write_text(policy)
    (run_dir / "triage.yaml").write_text(routing_yaml())
    settings = base.model_copy(
        update={
            "demo_state_dir": run_dir, "api_port": free_port(), "ingest_metrics_port": free_port(),
            "triage_metrics_port": free_port(), "sla_metrics_port": free_port(),
        }
    )  # fmt: skip
    env = {
        **os.environ,
        **space.env(),
        "TWEETCARE_API_PORT": str(settings.api_port),
        "TWEETCARE_INGEST_METRICS_PORT": str(settings.ingest_metrics_port),
        "TWEETCARE_TRIAGE_METRICS_PORT": str(settings.triage_metrics_port),
        "TWEETCARE_SLA_METRICS_PORT": str(settings.sla_metrics_port),
        "TWEETCARE_SLA_POLICY": str(run_dir / "policy.yaml"),
        "TWEETCARE_TRIAGE_CONFIG": str(run_dir / "triage.yaml"),
        "TWEETCARE_X_STATE_DIR": str(run_dir / "ingest"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("X_BEARER_TOKEN", None)  # never X: the benchmark feeds the generated stream
    env.pop("TWEETCARE_X_BEARER_TOKEN", None)
    return settings, env


def start(
    settings: DemoSettings, space: Namespace, env: dict[str, str], workers: int = 1
) -> Services:
    """Start the four services (``workers`` each of triage and sla; ingest without its own
    generated stream: the benchmark feeds ``tweets.raw``); raises RuntimeError with the log of
    one that stopped or is not ready."""
    found = children(settings, generated=False, count=workers,
                     port=lambda base, n: base if n == 1 else free_port())  # fmt: skip
    running = supervisor.start(found, settings.demo_state_dir, env)
    services = Services(settings, space, running)

    def say(message: str) -> None:
        print(f"pipeline: {message}", file=sys.stderr, flush=True)

    try:
        dead = supervisor.wait_ready(running, settings.demo_ready_timeout_s, say)
    except TimeoutError as exc:
        services.stop()
        raise RuntimeError(
            f"not ready after {settings.demo_ready_timeout_s:.0f}s: {exc}; logs in "
            f"{settings.demo_state_dir}"
        ) from exc
    if dead is not None:
        services.stop()
        raise RuntimeError(
            f"{dead.child.name} stopped while starting; the end of {dead.log}:\n"
            f"{supervisor.last_lines(dead)}"
        )
    return services


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds each process has used so far (those still running), and the
    whole machine's as ``MACHINE``."""
    used: dict[str, float] = {MACHINE: machine_busy_seconds()}
    for name, pid in pids.items():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        used[name] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return used


def _proc_stat() -> tuple[int, int]:
    """(total, idle + iowait) clock ticks of all CPUs since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine (every process, all CPUs) has been busy since boot."""
    total, idle = _proc_stat()
    return (total - idle) / CLK_TCK


def machine_busy(seconds: float = 1.0) -> float:
    """The share of all CPUs busy over the next ``seconds``."""
    total0, idle0 = _proc_stat()
    time.sleep(seconds)
    total1, idle1 = _proc_stat()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def infra_pids() -> dict[str, int]:
    """Kafka's and Elasticsearch's processes, when the local runner started them."""
    from services.localinfra import elasticsearch, kafka
    from services.localinfra.settings import InfraSettings
    from services.plumbing.settings import load_settings

    infra = load_settings(InfraSettings)
    found: dict[str, int] = {}
    for name, module in (("kafka", kafka), ("elasticsearch", elasticsearch)):
        pids = module.pids(infra)
        if pids:
            found[name] = pids[0]
    return found
