"""`triage train --models`, `promote`, `rollback`, `versions` and `eval --compare` through the
command line (our own sentences, complaint only: seconds to train)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from services.triage import versions
from tests.factories import labelled


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "triage", *args],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def _csv(path: Path, texts: list[str], complaint: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "complaint", "sentiment"])
        writer.writerows([t, c, ""] for t, c in zip(texts, complaint, strict=True))
    return path


def test_versions_are_trained_compared_promoted_and_rolled_back(tmp_path: Path) -> None:
    models = tmp_path / "models"
    good = _csv(tmp_path / "good.csv", labelled.TEXTS, labelled.COMPLAINT)
    # a worse teacher: every label flipped on the complaints about parcels
    bad_labels = [("0" if "parcel" in t else c) for t, c in zip(labelled.TEXTS,
                  labelled.COMPLAINT, strict=True)]  # fmt: skip
    bad = _csv(tmp_path / "bad.csv", labelled.TEXTS, bad_labels)

    first = _cli("train", "--data", str(bad), "--models", str(models))
    assert first.returncode == 0, first.stderr
    (a,) = versions.versions(models)
    assert f"{a} is in force" in first.stderr
    second = _cli("train", "--data", str(good), "--models", str(models))
    assert second.returncode == 0, second.stderr
    (b,) = set(versions.versions(models)) - {a}
    assert versions.current(models) == a  # a new version is not in force until promoted
    assert f"triage promote {b}" in second.stderr

    compared = _cli("eval", "--compare", a, b, "--models", str(models), "--data", str(good))
    assert compared.returncode == 0, compared.stderr
    lines = compared.stdout.splitlines()
    head = next(line for line in lines if line.lstrip().startswith(f"old {a}"))
    assert f"new {b}" in head
    f1 = next(line for line in lines if line.startswith("macro-F1")).split()
    assert float(f1[2]) > float(f1[1])  # the better teacher's model scores better
    assert float(f1[3]) > 0
    assert any(line.lstrip().startswith("en (") for line in lines)
    assert sum(line.startswith("confusion, ") for line in lines) == 2
    assert "sentiment" not in compared.stdout  # an empty column is no label

    assert _cli("promote", b, "--models", str(models)).returncode == 0
    assert versions.stack(models) == [b, a]
    listed = _cli("versions", "--models", str(models)).stdout.splitlines()
    assert sorted(listed) == sorted([f"* {b}", f"  {a}"])
    rolled = _cli("rollback", "--models", str(models))
    assert rolled.returncode == 0
    assert f"{a} in force" in rolled.stdout
    refused = _cli("rollback", "--models", str(models))
    assert refused.returncode == 2
    assert "nothing to roll back to" in refused.stderr
