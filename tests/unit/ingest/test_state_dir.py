"""The ingest state directory: `ingest run` refuses to start when it cannot write there, and the
Docker deployment gives it a writable, persistent one."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from services.cli import main
from services.ingest.state_dir import ensure_writable
from services.plumbing.settings import REPO_ROOT, SettingsError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_ingest_run_refuses_to_start_when_its_state_dir_is_not_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")  # root writes anywhere: a file in the way stops it
    monkeypatch.setenv("TWEETCARE_X_STATE_DIR", str(blocker / "state"))
    monkeypatch.setenv("TWEETCARE_INGEST_METRICS_PORT", str(_free_port()))
    monkeypatch.setenv("TWEETCARE_KAFKA_BOOTSTRAP", f"127.0.0.1:{_free_port()}")  # never reached

    status = main(["ingest", "run", "--no-generate"])

    err = capsys.readouterr().err
    assert status == 2
    assert f"TWEETCARE_X_STATE_DIR={blocker / 'state'} is not writable" in err
    assert "point TWEETCARE_X_STATE_DIR at a directory this user can write" in err


def test_an_existing_ledger_that_cannot_be_appended_to_is_refused(tmp_path: Path) -> None:
    ledger = tmp_path / "outbox_ledger.jsonl"
    ledger.mkdir()  # not appendable, whoever runs the test

    with pytest.raises(SettingsError, match=r"outbox_ledger\.jsonl"):
        ensure_writable(tmp_path, ledger)


def test_a_writable_state_dir_is_made_and_left_empty(tmp_path: Path) -> None:
    state = tmp_path / "var" / "ingest"

    ensure_writable(state, state / "outbox_ledger.jsonl")

    assert list(state.iterdir()) == []


def test_the_ingest_container_keeps_its_state_on_a_volume_its_user_can_write() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    ingest = compose["services"]["ingest"]
    state_dir = ingest["environment"]["TWEETCARE_X_STATE_DIR"]

    assert f"ingest-state:{state_dir}" in ingest["volumes"]
    assert "ingest-state" in compose["volumes"]
    assert f"install -d -o tweetcare -g tweetcare -m 0750 {state_dir}" in dockerfile
    assert f"ENV TWEETCARE_X_STATE_DIR={state_dir}" in dockerfile
    assert dockerfile.index("install -d -o tweetcare") < dockerfile.index("USER tweetcare")
