"""Fixtures every test can use: the real data directory (one setting, TWEETCARE_DATA_DIR) and
Chromium for the console's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from services.plumbing.settings import load_settings
from services.plumbing.testing import TestDataSettings

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The directory of the shared real tweets; fails (never skips) when it is missing."""
    path = load_settings(TestDataSettings).data_dir
    assert (path / "twcs_sample.csv").is_file(), (
        f"shared data not found at {path}: set TWEETCARE_DATA_DIR to the folder holding "
        "twcs_sample.csv (CI has it at ../shared/data beside the repository)"
    )
    return path


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium (`make setup` installs it); never a browser playwright downloads."""
    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing: run `make setup` (it installs chromium)"
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
    yield chromium
    chromium.close()
