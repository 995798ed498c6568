"""`tweetcare triage promote|rollback|versions` and `eval --compare`: model versions in a models
directory (:mod:`services.triage.versions`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from services.plumbing.settings import load_settings
from services.triage import versions
from services.triage.config import TriageConfig
from services.triage.datasets import read_datasets
from services.triage.model import TextModel


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _root(args: argparse.Namespace) -> Path | None:
    if args.models:
        return Path(args.models)
    from services.triage.settings import TriageSettings

    configured = load_settings(TriageSettings).triage_model
    return configured if configured is not None and versions.is_store(configured) else None


def _need_root(args: argparse.Namespace) -> Path:
    root = _root(args)
    if root is None:
        raise versions.VersionError(
            "which models directory? give --models DIR (or set TWEETCARE_TRIAGE_MODEL to it)"
        )
    return root


def _show(root: Path, lines: list[str]) -> None:
    print(f"{root}: {lines[0]} in force" + (f" (before it: {lines[1]})" if len(lines) > 1 else ""))


def _promote(args: argparse.Namespace) -> int:
    try:
        root = _need_root(args)
        _show(root, versions.promote(root, args.version))
    except versions.VersionError as exc:
        return _fail(str(exc))
    _say("promote: running triage workers switch within TWEETCARE_TRIAGE_CONFIG_CHECK_SECONDS")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    try:
        root = _need_root(args)
        _show(root, versions.rollback(root))
    except versions.VersionError as exc:
        return _fail(str(exc))
    return 0


def _list(args: argparse.Namespace) -> int:
    try:
        root = _need_root(args)
    except versions.VersionError as exc:
        return _fail(str(exc))
    now = versions.current(root)
    for version in versions.versions(root):
        print(("* " if version == now else "  ") + version)
    return 0


def _fail(message: str) -> int:
    print(f"tweetcare triage: {message}", file=sys.stderr)
    return 2


def load_side(name: str, root: Path | None) -> TextModel | None:
    """``rules`` (no model), a model directory, or a version of the models directory."""
    if name == "rules":
        return None
    path = Path(name)
    if root is not None and not path.exists() and (root / name).exists():
        path = root / name
    return TextModel.load(versions.resolve(path))


def compare_models(args: argparse.Namespace, config: TriageConfig) -> int:
    """``eval --compare OLD NEW``: both models on the same rows, side by side."""
    from services.triage.evaluation import compare, decision, predict

    root = _root(args)
    old_name, new_name = args.compare
    sides = {n: load_side(n, root) for n in (old_name, new_name)}
    labels = read_datasets(Path(args.data))
    for label, (texts, truth) in labels.items():
        if not texts:
            continue  # a column nobody filled in
        _say(f"eval: {args.data}: {label}: {len(texts):,} rows; {old_name} against {new_name}")
        decided = {n: predict(texts, config, m) for n, m in sides.items()}
        langs = [t.lang for t in decided[new_name]]
        answers = {n: [decision(label, t) for t in ts] for n, ts in decided.items()}
        old, new = (m.version if m is not None else "rules" for m in sides.values())
        print(compare(label, truth, langs, {f"old {old}": answers[old_name],
                                            f"new {new}": answers[new_name]}))  # fmt: skip
    return 0


def register_versions(group: Any) -> None:
    help_models = "the models directory (default: TWEETCARE_TRIAGE_MODEL, when it is one)"
    pro = group.add_parser("promote", help="put a model version in force (workers follow)")
    pro.add_argument("version", help="a version in the models directory (`triage versions`)")
    pro.add_argument("--models", help=help_models)
    pro.set_defaults(handler=_promote)
    rol = group.add_parser("rollback", help="return to the version in force before this one")
    rol.add_argument("--models", help=help_models)
    rol.set_defaults(handler=_rollback)
    lst = group.add_parser("versions", help="the versions of a models directory (* in force)")
    lst.add_argument("--models", help=help_models)
    lst.set_defaults(handler=_list)
