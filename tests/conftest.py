"""Fixtures every test can use: the real data directory (one setting, TWEETCARE_DATA_DIR)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.plumbing.settings import load_settings
from services.plumbing.testing import TestDataSettings


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The directory of the shared real tweets; fails (never skips) when it is missing."""
    path = load_settings(TestDataSettings).data_dir
    assert (path / "twcs_sample.csv").is_file(), (
        f"shared data not found at {path}: set TWEETCARE_DATA_DIR to the folder holding "
        "twcs_sample.csv (CI has it at ../shared/data beside the repository)"
    )
    return path
