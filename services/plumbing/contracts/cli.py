"""`tweetcare schemas ...`: export and check the JSON Schemas of schemas/."""

from __future__ import annotations

from typing import Any

from services.plumbing.cli_support import command_group, not_built_yet


def register(subparsers: Any) -> None:
    """Add `tweetcare schemas`."""
    group = command_group(subparsers, "schemas", "event contracts")
    group.add_parser("export", help="write schemas/").set_defaults(handler=not_built_yet("issue 2"))
