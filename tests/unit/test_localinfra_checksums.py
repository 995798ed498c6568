"""Downloads are checked against their publisher's checksum: a corrupted file is refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from services.localinfra.checksums import maven_url, parse_checksum, verify
from services.localinfra.procs import InfraError


def test_a_file_matching_its_checksum_passes_and_a_corrupted_one_is_refused(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "elasticsearch-8.19.21.zip"
    archive.write_bytes(b"PK\x03\x04 the distribution")
    good = hashlib.sha512(archive.read_bytes()).hexdigest()
    verify(archive, good.upper(), "sha512", "Elasticsearch 8.19.21")
    archive.write_bytes(b"PK\x03\x04 the distribution, altered")
    with pytest.raises(InfraError) as refused:
        verify(archive, good, "sha512", "Elasticsearch 8.19.21")
    message = str(refused.value)
    got = hashlib.sha512(archive.read_bytes()).hexdigest()
    assert f"expected {good}, got {got}" in message
    assert "Elasticsearch 8.19.21 (elasticsearch-8.19.21.zip)" in message
    assert "run this again" in message


def test_published_checksum_files_are_read_with_or_without_a_file_name() -> None:
    sha1 = "a" * 40
    assert parse_checksum(f"{sha1}\n", "sha1") == sha1
    assert parse_checksum(f"{sha1.upper()}  kafka_2.13-3.9.2.jar\n", "sha1") == sha1
    with pytest.raises(InfraError, match="not one"):
        parse_checksum("<html>404</html>", "sha1")
    with pytest.raises(InfraError, match="not one"):
        parse_checksum(sha1, "sha512")  # a sha1 where a sha512 is published


def test_maven_central_urls() -> None:
    assert maven_url(
        "org.elasticsearch.distribution.integ-test-zip", "elasticsearch", "8.19.21", "zip"
    ) == (
        "https://repo1.maven.org/maven2/org/elasticsearch/distribution/integ-test-zip/"
        "elasticsearch/8.19.21/elasticsearch-8.19.21.zip"
    )
