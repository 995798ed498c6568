"""Checking a download against the checksum its publisher gives: pure hashing and comparison,
and fetching the checksum file published beside an artifact on Maven Central."""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from pathlib import Path

from services.localinfra.procs import InfraError

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
_HEX = re.compile(r"^[0-9a-fA-F]+")
_LENGTHS = {"sha1": 40, "sha256": 64, "sha512": 128}


def digest(path: Path, algorithm: str) -> str:
    """The hex digest of the file at ``path``, read in chunks."""
    h = hashlib.new(algorithm)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parse_checksum(text: str, algorithm: str) -> str:
    """The digest in a published checksum file (``<hex>`` or ``<hex>  <file name>``); raises
    :class:`InfraError` when it holds none of the right length."""
    match = _HEX.match(text.strip())
    if match is None or len(match.group(0)) != _LENGTHS[algorithm]:
        raise InfraError(f"the published {algorithm} checksum is not one: {text[:200]!r}")
    return match.group(0).lower()


def verify(path: Path, expected: str, algorithm: str, what: str) -> None:
    """Refuse ``path`` unless its digest is ``expected``: the error names what was fetched, the
    digest expected and the one got, and what to do. The caller deletes the file."""
    got = digest(path, algorithm)
    if got != expected.lower():
        raise InfraError(
            f"{what} ({path.name}) does not match its publisher's {algorithm}: expected "
            f"{expected.lower()}, got {got}. It was deleted and nothing was unpacked; run this "
            "again (a download cut short or altered on the way), and if it fails again check the "
            "network's proxy or mirror"
        )


def maven_url(group: str, artifact: str, version: str, extension: str) -> str:
    """The URL of an artifact on Maven Central."""
    return (
        f"{MAVEN_CENTRAL}/{group.replace('.', '/')}/{artifact}/{version}/"
        f"{artifact}-{version}.{extension}"
    )


def fetch_maven_checksum(url: str, algorithm: str) -> str:
    """The ``.<algorithm>`` file published beside ``url`` on Maven Central."""
    try:
        # An https URL of Maven Central that this module builds.
        with urllib.request.urlopen(f"{url}.{algorithm}", timeout=30) as resp:  # noqa: S310
            text = resp.read().decode("ascii", errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        raise InfraError(
            f"fetching the {algorithm} checksum {url}.{algorithm} failed ({exc}): is Maven Central "
            "reachable?"
        ) from exc
    return parse_checksum(text, algorithm)
