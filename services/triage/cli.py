"""`tweetcare triage ...` subcommands."""

from __future__ import annotations

from typing import Any

from services.plumbing.cli_support import command_group, not_built_yet


def register(subparsers: Any) -> None:
    """Add `tweetcare triage` and its subcommands."""
    group = command_group(subparsers, "triage", "the triage service")
    run = group.add_parser("run", help="run the triage service")
    run.set_defaults(handler=not_built_yet("issue 7"))
