"""`tweetcare sla run` (`sla backtest` lives in :mod:`services.backtest.cli`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.plumbing.cli_support import command_group
from services.sla.policies import PolicyError


def _err(message: str) -> int:
    print(f"tweetcare sla: {message}", file=sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
    from services.plumbing.logs import configure_logging
    from services.plumbing.settings import load_settings
    from services.sla.service import load, run
    from services.sla.settings import SlaSettings
    from services.sla.state_topic import StateTopicError

    settings = load_settings(SlaSettings)
    configure_logging("sla", settings.sla_log_level)
    try:
        load(settings)
        return run(settings)
    except (PolicyError, OSError, StateTopicError) as exc:
        return _err(f"cannot start: {exc}")


def register(subparsers: Any) -> Any:
    """Add `tweetcare sla` and its subcommands; returns the group, for the commands composed above
    the service (`sla backtest`, :mod:`services.backtest.cli`)."""
    group = command_group(subparsers, "sla", "the sla service")
    run = group.add_parser("run", help="run the sla service (the owner of every case)")
    run.set_defaults(handler=_run)
    return group
