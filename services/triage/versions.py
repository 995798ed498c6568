"""Model versions in a models directory, and which one is in force.

Layout: one subdirectory per version (``<models>/lr5-20261202-1a2b3c4d/``, as ``triage train``
writes it) and a pointer file ``<models>/current``: the version in force on its first line, the
versions it replaced below it, newest first (so ``rollback`` knows where to go back to). The
pointer is replaced in one ``os.replace``: a reader sees the old file or the new, never half.
The running service looks at it every few seconds (:class:`ModelWatch`) and switches without
a restart; a version that cannot be loaded leaves the one in force in place.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from services.triage.model import MODEL_FILE, ModelError, TextModel

log = logging.getLogger("tweetcare.triage.model")
POINTER = "current"
HISTORY_KEPT = 50


class VersionError(ValueError):
    """A promote or rollback cannot be done; the message says why and what to do."""


def is_store(path: Path) -> bool:
    """Whether ``path`` is a models directory (has a pointer, or versions and no model file)."""
    return (path / POINTER).is_file() or (path.is_dir() and not (path / MODEL_FILE).exists())


def versions(root: Path) -> list[str]:
    """The versions the directory holds, oldest first (by when they were written)."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if (p / MODEL_FILE).is_file()]
    return [p.name for p in sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))]


def stack(root: Path) -> list[str]:
    """The version in force first, then those it replaced; empty before the first promote."""
    try:
        text = (root / POINTER).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def current(root: Path) -> str | None:
    found = stack(root)
    return found[0] if found else None


def _write_pointer(root: Path, lines: list[str]) -> None:
    partial = root / f".{POINTER}.partial"
    partial.write_text("\n".join(lines[:HISTORY_KEPT]) + "\n", encoding="utf-8")
    os.replace(partial, root / POINTER)


def add(root: Path, model: TextModel) -> Path:
    """Write ``model`` as a version of ``root`` (written aside, then renamed into place)."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / model.version
    partial = root / f".{model.version}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    model.save(partial)
    if target.exists():
        shutil.rmtree(target)  # the same version is the same data and training: same model
    os.replace(partial, target)
    return target


def promote(root: Path, version: str) -> list[str]:
    """Put ``version`` in force; the new pointer's lines. The version must load."""
    if version not in versions(root):
        held = ", ".join(versions(root)) or "none"
        raise VersionError(
            f"{root} holds no version {version} (it holds: {held}); train one with "
            f"`tweetcare triage train --data FILE.csv --models {root}`"
        )
    try:
        TextModel.load(root / version)
    except ModelError as exc:
        raise VersionError(f"version {version} cannot be promoted: {exc}") from exc
    old = stack(root)
    if old and old[0] == version:
        return old
    lines = [version, *old]
    _write_pointer(root, lines)
    return lines


def rollback(root: Path) -> list[str]:
    """Return to the version in force before the current one; the new pointer's lines."""
    old = stack(root)
    if len(old) < 2:
        raise VersionError(
            f"{root}: nothing to roll back to ({'only ' + old[0] if old else 'no version'} "
            "has been in force); promote a version with `tweetcare triage promote VERSION`"
        )
    lines = old[1:]
    _write_pointer(root, lines)
    return lines


def resolve(path: Path, version: str | None = None) -> Path:
    """The model directory ``path`` names: itself (a ``triage train --out`` directory), or, in
    a models directory, ``version`` or the version in force."""
    if not is_store(path):
        return path
    chosen = version or current(path)
    if chosen is None:
        held = ", ".join(versions(path)) or "none"
        raise ModelError(
            f"{path} has no version in force: `tweetcare triage promote VERSION --models "
            f"{path}` (versions: {held})"
        )
    return path / chosen


class ModelWatch:
    """The model in force for a running service: a model directory (loaded once) or a models
    directory whose pointer :meth:`check` follows."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.current: TextModel | None = None
        self._version: str | None = None
        if path is not None:  # a bad model at start is fatal
            self.current = TextModel.load(resolve(path))
            self._version = current(path) if is_store(path) else None

    def check(self) -> str | None:
        """``applied`` or ``rejected`` when the pointer moved since the last look, else None."""
        if self.path is None or not is_store(self.path):
            return None
        wanted = current(self.path)
        if wanted is None or wanted == self._version:
            return None
        self._version = wanted  # a bad version is reported once, not at every look
        try:
            model = TextModel.load(self.path / wanted)
        except (ModelError, OSError) as exc:
            log.error(
                "model change rejected; the previous model stays in force",
                extra={"version": wanted, "reason": str(exc)[:300]},
            )
            return "rejected"
        self.current = model
        log.info("model switched", extra={"version": model.version, "path": str(self.path)})
        return "applied"
