"""`tweetcare ingest ...` subcommands."""

from __future__ import annotations

from typing import Any

from services.plumbing.cli_support import command_group, not_built_yet


def register(subparsers: Any) -> None:
    """Add `tweetcare ingest` and its subcommands."""
    group = command_group(subparsers, "ingest", "the ingest service")
    run = group.add_parser("run", help="run the ingest service")
    run.set_defaults(handler=not_built_yet("issue 3"))
