"""Small helpers for registering subcommands."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def command_group(subparsers: Any, name: str, help_text: str) -> Any:
    """Add ``name`` with its own subcommands; returns the group's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")


def not_built_yet(issue: str) -> Any:
    """A handler for a subcommand whose service has not landed yet: says so and exits 2."""

    def handler(args: argparse.Namespace) -> int:
        print(
            f"tweetcare {args.command}: not built yet (tracked in {issue}); "
            "see README.md for what runs today",
            file=sys.stderr,
        )
        return 2

    return handler
