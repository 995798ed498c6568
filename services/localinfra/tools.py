"""Java and Maven: finding them, and fetching artifacts from Maven Central with them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from services.localinfra.procs import InfraError

_INSTALL_HINT = (
    "install a JDK 17 or newer and Maven 3 (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless "
    "maven; macOS: brew install openjdk@17 maven), or use Docker: docker compose up"
)


def java_home() -> Path:
    """The home of the ``java`` on PATH (17+); raises :class:`InfraError` naming what to install."""
    java = shutil.which("java")
    if java is None:
        raise InfraError(f"Java was not found on PATH: {_INSTALL_HINT}")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)', out)
    if match is None or int(match.group(1)) < 17:
        raise InfraError(
            f"Java 17 or newer is needed, found: {out.splitlines()[:1]}: {_INSTALL_HINT}"
        )
    return Path(java).resolve().parents[1]


def maven() -> str:
    """The ``mvn`` executable; raises :class:`InfraError` naming what to install."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InfraError(f"Maven (mvn) was not found on PATH: {_INSTALL_HINT}")
    return mvn


def run_maven(args: list[str], what: str) -> None:
    """Run Maven in batch mode; on failure raise with the end of its output. Every artifact is
    checked against the checksum its repository publishes (``--strict-checksums``: a mismatch
    fails the fetch; Maven's default only warns)."""
    proc = subprocess.run(
        [maven(), "-B", "-q", "--strict-checksums", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        output = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise InfraError(
            f"fetching {what} from Maven Central failed (is the network to Maven Central "
            f"reachable? 'Checksum validation failed': an artifact does not match its published "
            f"checksum; delete it from ~/.m2/repository and run this again):\n{output}"
        )
