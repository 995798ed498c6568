"""Values the API hands out and takes back unchanged (page cursors, stream tickets): the bytes
as base64url, then ``.`` and their HMAC-SHA256 (128 bits) under the API's secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:16]


def sign(payload: bytes, key: bytes) -> str:
    """``payload`` with its signature under ``key``, as URL-safe text."""
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def unsign(text: str, key: bytes) -> bytes | None:
    """The payload of ``text`` when :func:`sign` made it with ``key``; None when it is not
    signed text, was altered, or was signed with another key."""
    body, dot, mac = text.partition(".")
    if not dot:
        return None
    try:
        payload, signature = _unb64(body), _unb64(mac)
    except (binascii.Error, ValueError):
        return None
    return payload if hmac.compare_digest(signature, _mac(key, payload)) else None
