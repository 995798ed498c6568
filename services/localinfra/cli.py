"""`tweetcare infra up|down|status`."""

from __future__ import annotations

from typing import Any

from services.plumbing.cli_support import command_group, not_built_yet


def register(subparsers: Any) -> None:
    """Add `tweetcare infra`."""
    group = command_group(subparsers, "infra", "local Kafka and Elasticsearch")
    for name in ("up", "down", "status"):
        group.add_parser(name).set_defaults(handler=not_built_yet("issue 2"))
