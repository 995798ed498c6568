"""`tweetcare schemas export|check`: the JSON Schemas of schemas/, from the models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from services.plumbing.cli_support import command_group
from services.plumbing.contracts.export import folders, render, schema
from services.plumbing.settings import REPO_ROOT


def _path(root: Path, folder: str) -> Path:
    return root / folder / "v1.schema.json"


def export(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    for folder in folders():
        path = _path(root, folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(schema(folder)))
        print(f"wrote {path}")
    return 0


def check(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    stale = [
        str(_path(root, f))
        for f in folders()
        if not _path(root, f).exists() or _path(root, f).read_bytes() != render(schema(f))
    ]
    for path in stale:
        print(
            f"{path} differs from the models: a wire-format change must be deliberate "
            "(see schemas/README.md), then run `tweetcare schemas export`",
            file=sys.stderr,
        )
    return 1 if stale else 0


def register(subparsers: Any) -> None:
    """Add `tweetcare schemas`."""
    group = command_group(subparsers, "schemas", "event contracts (JSON Schemas of schemas/)")
    for name, handler, help_text in (
        ("export", export, "write schemas/<topic>/v1.schema.json from the models"),
        ("check", check, "exit 1 when a committed schema differs from the models"),
    ):
        parser = group.add_parser(name, help=help_text)
        parser.add_argument("--dir", default=str(REPO_ROOT / "schemas"))
        parser.set_defaults(handler=handler)
