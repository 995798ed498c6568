"""Small helpers for registering subcommands."""

from __future__ import annotations

import argparse
from typing import Any


def command_group(subparsers: Any, name: str, help_text: str) -> Any:
    """Add ``name`` with its own subcommands; returns the group's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")
