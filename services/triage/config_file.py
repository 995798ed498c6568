"""The triage configuration file, reloaded when it changes; a bad edit never replaces a good one."""

from __future__ import annotations

import logging
from pathlib import Path

from services.triage.config import ConfigError, TriageConfig, load_config

log = logging.getLogger("tweetcare.triage.config")


class ConfigFile:
    """Holds the configuration in force; :meth:`check` reloads it when the file has changed."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self.current = TriageConfig()
        if path is not None:
            self.current = load_config(path.read_text())  # a bad file at start is fatal
            self._stamp = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        assert self.path is not None
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def check(self) -> str | None:
        """``applied`` or ``rejected`` when the file changed since the last look, else ``None``."""
        if self.path is None:
            return None
        stamp = self._stat()
        if stamp is None or stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            self.current = load_config(self.path.read_text())
        except (ConfigError, OSError, UnicodeDecodeError) as exc:
            log.error(
                "configuration change rejected; the previous configuration stays in force",
                extra={"path": str(self.path), "reason": str(exc)[:300]},
            )
            return "rejected"
        log.info("configuration reloaded", extra={"path": str(self.path)})
        return "applied"
