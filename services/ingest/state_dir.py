"""The ingest service's state directory: checked writable before anything starts.

It holds the outbox ledger (what makes a reply posted at most once) and the X cursors (what makes
a restart neither lose nor repeat): a service that cannot write there would fail on its first
reply or poll, and one whose directory does not outlive the process forgets both on restart.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from services.plumbing.settings import SettingsError

HOW = (
    "point TWEETCARE_X_STATE_DIR at a directory this user can write that outlives the process "
    "(with Docker: the ingest-state volume of docker-compose.yml)"
)


def ensure_writable(path: Path, *files: Path) -> None:
    """Create ``path`` if needed and prove it writable (a probe file written, fsynced, removed),
    and every existing one of ``files`` appendable; :class:`SettingsError` naming
    ``TWEETCARE_X_STATE_DIR`` and what to do otherwise."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=path)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
        for file in files:
            if file.exists():
                os.close(os.open(file, os.O_WRONLY | os.O_APPEND))
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise SettingsError(
            f"TWEETCARE_X_STATE_DIR={path} is not writable: {exc.strerror or exc}{where}; "
            f"ingest keeps its outbox ledger and X cursors there: {HOW}"
        ) from exc
