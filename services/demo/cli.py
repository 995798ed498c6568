"""`tweetcare demo [--replay FILE] | demo stop`: the whole system on local infrastructure."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from services.demo import supervisor
from services.demo.namespace import Namespace, NamespaceError, create_topics
from services.demo.settings import DemoSettings
from services.plumbing.cli_support import command_group
from services.plumbing.contracts.codecs import TopicName
from services.plumbing.settings import load_settings

MAX_WORKERS = 8
POLICY = Path(__file__).with_name("demo-policy.yaml")
ROUTING = Path(__file__).with_name("demo-triage.yaml")


def _say(message: str) -> None:
    print(f"tweetcare demo: {message}", flush=True)


def worker_port(base: int, n: int) -> int:
    """The metrics port of worker ``n`` (1, 2, …) of a service whose first worker has ``base``:
    8002, 8012, 8022… for triage and 8003, 8013, 8023… for the SLA service."""
    return base + 10 * (n - 1)


def workers(
    settings: DemoSettings, count: int, port: Callable[[int, int], int] = worker_port
) -> list[supervisor.Child]:
    """``count`` workers each of triage and the SLA service (the same consumer groups: Kafka
    shares their input partitions out); worker n's metrics port is ``port(base, n)``."""
    run = supervisor.python_module
    found: list[supervisor.Child] = []
    for n in range(1, count + 1):
        suffix = "" if n == 1 else f"-{n}"
        triage = port(settings.triage_metrics_port, n)
        sla = port(settings.sla_metrics_port, n)
        found += [
            supervisor.Child(f"triage{suffix}", run("triage", "run"),
                             f"http://127.0.0.1:{triage}/healthz",
                             {"TWEETCARE_TRIAGE_METRICS_PORT": str(triage)}),
            supervisor.Child(f"sla{suffix}", run("sla", "run"), f"http://127.0.0.1:{sla}/healthz",
                             {"TWEETCARE_SLA_METRICS_PORT": str(sla)}),
        ]  # fmt: skip
    return found


def children(
    settings: DemoSettings, *, generated: bool = True, replay: list[str] | None = None,
    count: int = 1, port: Callable[[int, int], int] = worker_port,
) -> list[supervisor.Child]:  # fmt: skip
    """The demo's processes: the four services (``count`` workers each of triage and the SLA
    service, see :func:`workers`), and ``tweetcare ingest replay *replay`` when given.
    ``generated=False`` runs ingest without its generated stream (something else feeds
    ``tweets.raw``: a replay, or the pipeline benchmark)."""
    run = supervisor.python_module
    api = f"http://{settings.api_host}:{settings.api_port}"
    ingest = ["ingest", "run"] + ([] if generated else ["--no-generate"])
    found = [
        *workers(settings, count, port),
        supervisor.Child("api", run("api", "run"), f"{api}/readyz"),
        supervisor.Child("ingest", run(*ingest),
                         f"http://127.0.0.1:{settings.ingest_metrics_port}/healthz"),
    ]  # fmt: skip
    if replay:
        found.append(supervisor.Child("replay", run("ingest", "replay", *replay), None))
    return found


def _children(
    settings: DemoSettings, args: argparse.Namespace, raw_topic: str
) -> list[supervisor.Child]:
    if not args.replay:
        return children(settings, count=args.workers)
    replay = [str(args.replay), "--format", args.format, "--speed", args.speed, "--rebase-to-now",
              "--topic", raw_topic]  # fmt: skip
    return children(settings, generated=False, replay=replay, count=args.workers)


def _namespaced(settings: DemoSettings, env: dict[str, str]) -> tuple[str, str]:
    """With ``TWEETCARE_DEMO_NAMESPACE``: its topics created and the services' settings in
    ``env``; returns (index prefix, raw topic) the demo uses."""
    if not settings.demo_namespace:
        return settings.es_index_prefix, TopicName.TWEETS_RAW.value
    space = Namespace(settings.demo_namespace, settings.es_index_prefix)
    create_topics(settings.kafka_bootstrap, space.topics(), settings.kafka_partitions,
                  settings.kafka_replication)  # fmt: skip
    env.update(space.env())
    env.setdefault("TWEETCARE_X_STATE_DIR", str(settings.demo_state_dir / "ingest"))
    _say(f"namespace {space.name}: topics {space.named('*')}, indices {space.index_prefix}-*")
    return space.index_prefix, space.values()["ingest_tweets_topic"]


async def seed(settings: DemoSettings, index_prefix: str | None = None) -> dict[str, str]:
    """Demo tokens (an agent and a supervisor) and the canned replies, once, in the read model
    under ``index_prefix`` (default: the settings' prefix)."""
    from elasticsearch import AsyncElasticsearch

    from services.api.stored import DocStore
    from services.api.tokens import TokenStore
    from services.demo.canned import CANNED
    from services.plumbing.contracts.actions import Role

    prefix = index_prefix or settings.es_index_prefix
    es = AsyncElasticsearch(settings.es_url, request_timeout=30)
    try:
        store = TokenStore(es, prefix, cache_s=0)
        agent, _ = await store.create("Demo Agent", Role.AGENT)
        boss, _ = await store.create("Demo Supervisor", Role.SUPERVISOR)
        canned = DocStore(es, prefix, "canned")
        if not await canned.list():
            for reply in CANNED:
                await canned.create(dict(reply), "demo")
        return {"agent": agent, "supervisor": boss}
    finally:
        await es.close()


def infra_up() -> tuple[int, bool]:
    """Start Kafka and Elasticsearch unless they run; (status, whether we started them)."""
    from services.localinfra import elasticsearch, kafka
    from services.localinfra.cli import up
    from services.localinfra.settings import InfraSettings

    infra = load_settings(InfraSettings)
    running = all(c.pids(infra) and c.healthy(infra) for c in (kafka, elasticsearch))
    return up(infra), not running


def infra_down() -> None:
    from services.localinfra.cli import down
    from services.localinfra.settings import InfraSettings

    down(load_settings(InfraSettings))


def _banner(settings: DemoSettings, tokens: dict[str, str], began: float, count: int = 1) -> None:
    from services.localinfra.settings import InfraSettings

    api = f"http://{settings.api_host}:{settings.api_port}"
    prometheus = load_settings(InfraSettings).prometheus_url
    lines = [
        f"tweetcare is running (ready in {time.monotonic() - began:.0f}s)",
        "",
        f"  console          {api}/",
        f"  agent token      {tokens['agent']}",
        f"  supervisor token {tokens['supervisor']}",
        f"  API docs         {api}/docs",
        f"  metrics          {api}/metrics (api)   http://127.0.0.1:{settings.ingest_metrics_port}"
        f"/metrics (ingest)",
        *(
            f"                   http://127.0.0.1:{worker_port(settings.triage_metrics_port, n)}"
            f"/metrics (triage{'' if n == 1 else f' {n}'})   "
            f"http://127.0.0.1:{worker_port(settings.sla_metrics_port, n)}/metrics "
            f"(sla{'' if n == 1 else f' {n}'})"
            for n in range(1, count + 1)
        ),
        f"  prometheus       {prometheus}/classic/graph",
        f"  logs             {settings.demo_state_dir}/*.log",
        "",
        "  Ctrl-C (or `make down` from another shell) stops everything the demo started.",
    ]
    print("\n".join(lines), flush=True)


def _demo(args: argparse.Namespace) -> int:
    settings = load_settings(DemoSettings)
    began = time.monotonic()
    stopped = supervisor.stop_recorded(settings.demo_state_dir)
    if stopped:
        _say(f"stopped the services a previous demo left running: {', '.join(stopped)}")
    status, started_infra = infra_up()
    if status != 0:
        return status
    env = dict(os.environ)
    env.setdefault("TWEETCARE_SLA_POLICY", str(POLICY))
    env.setdefault("TWEETCARE_TRIAGE_CONFIG", str(ROUTING))
    env.setdefault("PYTHONUNBUFFERED", "1")
    try:
        prefix, raw_topic = _namespaced(settings, env)
    except NamespaceError as exc:
        _say(str(exc))
        return 2
    running: list[supervisor.Running] = []

    def on_signal(signum: int, _: FrameType | None) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a shell starting the demo in the background leaves SIGINT ignored.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        many = f" ({args.workers} workers each of triage and sla)" if args.workers > 1 else ""
        _say(f"starting triage, sla, api and ingest{many} (logs in {settings.demo_state_dir})")
        running = supervisor.start(
            _children(settings, args, raw_topic), settings.demo_state_dir, env
        )
        dead = supervisor.wait_ready(running, settings.demo_ready_timeout_s, _say)
        if dead is not None:
            _say(f"{dead.child.name} stopped while starting; the end of {dead.log}:")
            print(supervisor.last_lines(dead), file=sys.stderr)
            return 1
        tokens = asyncio.run(seed(settings, prefix))
        _banner(settings, tokens, began, args.workers)
        deadline = time.monotonic() + args.duration if args.duration else None
        while deadline is None or time.monotonic() < deadline:
            dead = supervisor.first_dead(running)
            if dead is not None and dead.child.name != "replay":
                _say(f"{dead.child.name} stopped; the end of {dead.log}:")
                print(supervisor.last_lines(dead), file=sys.stderr)
                return 1
            time.sleep(1)
        return 0
    except TimeoutError as exc:
        _say(f"not ready after {settings.demo_ready_timeout_s:.0f}s: {exc}; see the logs in "
             f"{settings.demo_state_dir}")  # fmt: skip
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _say("stopping the services...")
        supervisor.stop(running, settings.demo_state_dir)
        if started_infra and not args.keep_infra:
            infra_down()
        _say("stopped")


def _workers(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"--workers takes a whole number from 1 to {MAX_WORKERS}")
    return count


def _stop(args: argparse.Namespace) -> int:
    settings = load_settings(DemoSettings)
    stopped = supervisor.stop_recorded(settings.demo_state_dir)
    _say(f"stopped: {', '.join(stopped)}" if stopped else "no demo services running")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the whole system on local infrastructure (Ctrl-C stops it)"
    )
    parser.add_argument(
        "--replay", type=Path, help="feed this file instead of the generated stream"
    )
    parser.add_argument("--format", default="twcs", choices=["twcs", "ibm", "x-v2"])
    parser.add_argument("--speed", default="60", help="replay pace: a real-time factor or max")
    parser.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    parser.add_argument("--keep-infra", action="store_true", help="leave Kafka and ES running")
    parser.add_argument(
        "--workers", type=_workers, default=1, metavar="N",
        help="N workers each of triage and the SLA service (1-8; more than the topics' "
        "partitions leaves some idle); worker n's metrics port is the first's + 10*(n-1)",
    )  # fmt: skip
    parser.set_defaults(handler=_demo)
    sub = parser.add_subparsers(dest="demo_command", metavar="COMMAND")
    stop = sub.add_parser("stop", help="stop the services a demo left running")
    stop.set_defaults(handler=_stop)


__all__ = ["command_group", "register"]
