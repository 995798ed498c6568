"""Model versions: train writes them, promote and rollback move the pointer, a running service's
watch follows it and keeps a model in force when the new one cannot load."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from services.triage import versions
from services.triage.metrics import TriageMetrics
from services.triage.model import ModelError, TextModel
from services.triage.versions import ModelWatch, VersionError


@pytest.fixture
def store(tmp_path: Path, trained: TextModel) -> Path:
    root = tmp_path / "models"
    for name in ("lr5-a", "lr5-b", "lr5-c"):
        versions.add(root, dataclasses.replace(trained, version=name))
    return root


def test_promote_and_rollback_move_the_pointer_and_remember_the_way_back(store: Path) -> None:
    assert versions.current(store) is None
    assert versions.versions(store) == ["lr5-a", "lr5-b", "lr5-c"]
    versions.promote(store, "lr5-a")
    versions.promote(store, "lr5-c")
    assert versions.stack(store) == ["lr5-c", "lr5-a"]
    assert (store / "current").read_text().splitlines()[0] == "lr5-c"
    assert versions.rollback(store) == ["lr5-a"]
    assert versions.current(store) == "lr5-a"
    with pytest.raises(VersionError, match="nothing to roll back to"):
        versions.rollback(store)
    with pytest.raises(VersionError, match="holds no version lr5-z"):
        versions.promote(store, "lr5-z")
    assert not list(store.glob(".*partial"))


def test_a_damaged_version_is_refused_by_promote(store: Path) -> None:
    (store / "lr5-b" / "model.joblib").write_bytes(b"not a model")
    with pytest.raises(VersionError, match="lr5-b cannot be promoted"):
        versions.promote(store, "lr5-b")
    assert versions.current(store) is None


def test_the_watch_switches_when_the_pointer_moves_and_keeps_the_old_on_failure(
    store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    versions.promote(store, "lr5-a")
    watch = ModelWatch(store)
    assert watch.current is not None
    assert (watch.current.version, watch.check()) == ("lr5-a", None)
    versions.promote(store, "lr5-b")
    assert (watch.check(), watch.current.version) == ("applied", "lr5-b")
    versions.rollback(store)
    assert (watch.check(), watch.current.version) == ("applied", "lr5-a")
    (store / "lr5-c" / "model.joblib").write_bytes(b"broken after its promotion")
    (store / "current").write_text("lr5-c\nlr5-a\n")  # as if promoted before it broke
    with caplog.at_level(logging.ERROR, logger="tweetcare.triage.model"):
        assert watch.check() == "rejected"
    assert watch.current.version == "lr5-a"
    assert watch.check() is None  # reported once
    assert "previous model stays in force" in caplog.text


def test_a_plain_model_directory_is_loaded_once_and_never_followed(
    tmp_path: Path, trained: TextModel
) -> None:
    trained.save(tmp_path / "one")
    watch = ModelWatch(tmp_path / "one")
    assert watch.current is not None
    assert (watch.current.version, watch.check()) == (trained.version, None)
    (tmp_path / "empty-store").mkdir()
    with pytest.raises(ModelError, match="no version in force"):
        ModelWatch(tmp_path / "empty-store").current  # noqa: B018
    assert ModelWatch(None).current is None


def test_the_model_gauge_names_only_the_version_in_use() -> None:
    registry = CollectorRegistry()
    metrics = TriageMetrics(registry)
    metrics.set_model("lr5-a")
    metrics.set_model("lr5-b")
    assert registry.get_sample_value("tweetcare_triage_model_info", {"version": "lr5-b"}) == 1
    assert registry.get_sample_value("tweetcare_triage_model_info", {"version": "lr5-a"}) is None
