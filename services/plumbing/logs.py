"""Structured logs: one JSON object per line on stderr.

Secrets never reach the log: fields whose names look like credentials are replaced, and
callers pass identifiers, never tweet text or personal data.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

_SECRET_MARKERS = ("token", "secret", "password", "authorization", "api_key", "bearer")
_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


def _redact(key: str, value: Any) -> Any:
    return "[redacted]" if any(m in key.lower() for m in _SECRET_MARKERS) else value


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message and ``extra`` fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and key != "color_message":
                doc[key] = _redact(key, value)
        if record.exc_info:
            doc["error"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode()


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route the root logger to stderr as JSON lines; call once from an entry point."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Clients that log every request at INFO: their warnings still come through.
    for chatty in ("elastic_transport", "aiokafka", "kafka"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
