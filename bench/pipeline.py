"""The whole pipeline under load (issue 12): the four services on the local Kafka and
Elasticsearch, fed the generated stream at a set rate, each stage's lag and rate, ingest →
queue API latency, SLA timer fire − due, CPU per process, and the physical limits of the same
Kafka and Elasticsearch measured in the same run.

Each run has a namespace of its own (``bench-<random>``: topics, consumer groups, faust app
ids, index prefix; :mod:`services.demo.namespace`), created with the product's partition count
and deleted at the end, so no earlier run or demo pollutes it. The services start as
`tweetcare demo` starts them (its children, supervisor and seeding), with free ports, the
demo's routing plus a probe queue, and an SLA policy whose clocks fall due during the run
(first response ``--sla-target`` seconds, a warning at ``--warn-at`` of it).

The feed: the benchmark publishes the generated stream to the raw topic itself, through the
ingest service's publishing path (replay plan, duplicate window, Gate, producer;
:mod:`bench._pipeline_load`), at exactly ``--rate`` tweets/s, each tweet timed when it is sent.
It does not run ingest in its generated mode because that paces by the generator's event
time — scenarios a minute, replies minutes later — so its rate over a minute is neither
``--rate`` nor steady, and it cannot be raised in steps without a restart. The ingest service
runs beside it (its outbox), as in the demo. Probe tweets (one every ``--probe-every`` s) go to
a queue of their own and are looked for in ``GET /v1/queues/{queue}/cases`` every 100 ms.

``--find-max`` repeats the step at ``--rate × --step-factor``… until a stage's lag grows (or it
does not catch up within ``--drain`` s, or the feeder cannot publish the rate) and reports the
highest rate sustained. The services are then stopped, and the limits measured on the run's own
events (raw produce→consume through Kafka, ``_bulk`` of the indexer's documents into throwaway
indices). See docs/benchmarks.md for what each figure means.

Run: python -m bench.pipeline [--rate 1000] [--duration 60] [--find-max] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import _pipeline_services as services_mod
from bench._pipeline_output import format_table, to_json
from bench._pipeline_report import Criteria
from bench._pipeline_session import Session, SessionError
from services.demo.cli import infra_down, infra_up
from services.demo.namespace import Namespace, NamespaceError, remove
from services.demo.settings import DemoSettings
from services.plumbing.settings import SettingsError, load_settings


def say(message: str) -> None:
    print(f"pipeline: {message}", file=sys.stderr, flush=True)


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rate", type=float, default=1000.0, help="tweets/s fed (first step)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds each step feeds")
    p.add_argument("--find-max", action="store_true", help="raise the rate until a stage lags")
    p.add_argument("--step-factor", type=float, default=1.5, help="--find-max: rate multiplier")
    p.add_argument("--max-rate", type=float, default=50_000.0, help="--find-max: stop here")
    p.add_argument("--drain", type=float, default=60.0, help="seconds to wait for catch-up")
    p.add_argument("--probe-every", type=float, default=1.0, help="seconds between probes")
    p.add_argument("--sla-target", type=float, default=20.0, help="first response (s)")
    p.add_argument("--warn-at", type=float, default=0.5, help="warning at this fraction")
    p.add_argument("--pool", type=int, default=30_000, help="generated events, looped")
    p.add_argument("--customers", type=int, default=30_000, help="distinct customers in it")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--no-limits", action="store_true", help="skip the Kafka/ES limits")
    p.add_argument("--json", type=Path, help="write the whole report as JSON here")
    p.add_argument("--keep", action="store_true", help="keep the namespace and the logs")
    p.add_argument("--workers", type=int, default=1, help="workers each of triage and sla (1-8)")
    args = p.parse_args(argv)
    if not 1 <= args.workers <= 8:
        p.error("--workers takes 1 to 8")
    if args.duration < 10:
        p.error("--duration must be at least 10 s (rates are fitted over a warm-up and more)")
    if args.rate <= 0 or args.step_factor <= 1 or not 0 < args.warn_at < 1:
        p.error("--rate must be > 0, --step-factor > 1, --warn-at between 0 and 1")
    return args


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # stopped from outside: still clean up
    # aiokafka warns of every transient leader move while a throwaway topic is created.
    logging.basicConfig(level=logging.ERROR)
    try:
        base = load_settings(DemoSettings)
    except SettingsError as exc:
        say(str(exc))
        return 2
    status, started_infra = infra_up()
    if status != 0:
        say("the local Kafka and Elasticsearch did not start (see above); "
            "`tweetcare infra status` names the logs")  # fmt: skip
        return status
    busy = services_mod.machine_busy()
    if busy > 0.25:
        say(f"the machine is {busy:.0%} busy before the run: other work competes with the "
            "services, so the figures will be lower than on an idle machine")  # fmt: skip
    space = Namespace(f"bench-{uuid.uuid4().hex[:8]}", base.es_index_prefix)
    run_dir = Path(tempfile.gettempdir()) / "tweetcare-bench" / space.name
    say(f"namespace {space.name} (topics {space.named('*')}, indices {space.index_prefix}-*); "
        f"logs in {run_dir}")  # fmt: skip
    ok = False
    services: services_mod.Services | None = None
    try:
        policy = services_mod.policy_yaml(args.sla_target, args.warn_at)
        settings, env = services_mod.prepare(base, space, run_dir, policy)
        session = Session(args, settings, space, say)
        session.make_pool()
        say("starting triage, sla, api and ingest as the demo does")
        services = services_mod.start(settings, space, env, workers=args.workers)
        steps, limits, overdue = asyncio.run(session.run(services))
        idle = {k: round(v, 3) for k, v in session.idle_cpu.items()}
        meta = {**_meta(args, space, policy), "cpu_busy_before": round(busy, 3), "idle_cpu": idle}
        report = to_json(steps, limits, overdue, meta)
        print(format_table(steps, limits, overdue, idle=session.idle_cpu))
        if args.json:
            args.json.write_text(json.dumps(report, indent=2, default=str))
            say(f"report written to {args.json}")
        ok = True
        return 0
    except (SessionError, NamespaceError, RuntimeError) as exc:
        say(f"failed: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        if services is not None:
            services.stop()
        _clean(base, space, run_dir, keep=args.keep, ok=ok)
        if started_infra:
            infra_down()


def _meta(args: argparse.Namespace, space: Namespace, policy: str) -> dict[str, Any]:
    return {
        "benchmark": "bench.pipeline", "namespace": space.name,
        "measured_at": datetime.now(UTC).isoformat(), "cpus": os.cpu_count(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "sla_policy": policy, "criteria": Criteria().__dict__,
    }  # fmt: skip


def _clean(base: DemoSettings, space: Namespace, run_dir: Path, *, keep: bool, ok: bool) -> None:
    if keep:
        say(f"kept namespace {space.name} and {run_dir} (--keep)")
        return
    try:
        gone = remove(space, base.kafka_bootstrap, base.es_url)
        say(f"removed {len(gone.topics)} topics, {len(gone.groups)} groups, "
            f"{len(gone.indices)} indices, {len(gone.templates)} templates")  # fmt: skip
    except Exception as exc:  # report what is left and go on: the run's figures stand
        say(f"could not remove namespace {space.name} ({exc}); topics and indices starting "
            f"with {space.name} are left over")  # fmt: skip
    if ok:
        shutil.rmtree(run_dir, ignore_errors=True)
    else:
        say(f"the services' logs are kept in {run_dir}")


if __name__ == "__main__":
    began = time.monotonic()
    code = main()
    say(f"done in {time.monotonic() - began:.0f}s")
    sys.exit(code)
