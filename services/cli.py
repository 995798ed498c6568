"""The ``tweetcare`` command: one entry point, a subcommand per service and tool."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from services.api.cli import register as register_api
from services.backtest.cli import register as register_backtest
from services.dashboards.cli import register as register_dashboards
from services.demo.cli import register as register_demo
from services.ingest.cli import register as register_ingest
from services.localinfra.cli import register as register_infra
from services.plumbing.contracts.cli import register as register_schemas
from services.plumbing.settings import SettingsError
from services.sla.cli import register as register_sla
from services.triage.cli import register as register_triage

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The full command tree; each service registers its own subcommands."""
    parser = argparse.ArgumentParser(
        prog="tweetcare",
        description="Event-driven customer care on X: ingest, triage, SLA clocks, agent queues.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in (register_infra, register_schemas, register_ingest, register_triage):
        register(commands)
    register_backtest(register_sla(commands))  # `sla backtest` composes ingest, triage and sla
    register_api(commands)
    register_demo(commands)
    register_dashboards(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; settings errors end with their message and exit status 2."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except SettingsError as exc:
        print(f"tweetcare: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
