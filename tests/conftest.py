"""Fixtures every test can use: the real data directory (one setting, TWEETCARE_DATA_DIR), replay
files (ours, and the shared real ones), and Chromium for the console's tests.

Tests that read the shared real tweets are the ``shared_data`` tier: marked so, or asking for
the ``data_dir`` fixture. Where the data directory is missing or empty (a fresh clone without
``../shared``), the tier is deselected at collection and the run ends with one line saying so;
everything the tier checks is also checked on small files of our own (``tests/fixtures``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from services.plumbing.settings import load_settings
from services.plumbing.testing import TestDataSettings
from tests.fixtures import OURS, ReplayFiles

CHROMIUM = Path("/usr/bin/chromium")
SHARED_DATA = "shared_data"
_DESELECTED = pytest.StashKey[str]()


def _shared_data_dir() -> Path:
    return load_settings(TestDataSettings).data_dir


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{SHARED_DATA}: reads the real tweets in TWEETCARE_DATA_DIR (../shared/data)"
    )


@pytest.hookimpl(tryfirst=True)  # before `-m` selects, so `-m shared_data` sees the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks the tests asking for ``data_dir`` as ``shared_data``; deselects the tier when the
    data directory is missing or empty. A directory that holds files runs the tier, and a file
    missing from it fails the tests that read it: in CI the tier never quietly goes away."""
    for item in items:
        if "data_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(SHARED_DATA)
    path = _shared_data_dir()
    if path.is_dir() and any(path.iterdir()):
        return
    tier = [item for item in items if item.get_closest_marker(SHARED_DATA)]
    if not tier:
        return
    items[:] = [item for item in items if not item.get_closest_marker(SHARED_DATA)]
    config.hook.pytest_deselected(items=tier)
    config.stash[_DESELECTED] = (
        f"shared data: {path} is missing or empty, so {len(tier)} tests on the real tweets were "
        "deselected; TWEETCARE_DATA_DIR=<the folder holding twcs_sample.csv> runs them"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    note = terminalreporter.config.stash.get(_DESELECTED, None)
    if note is not None:
        terminalreporter.write_line(note, yellow=True, bold=True)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The directory of the shared real tweets; fails (never skips) when a file is missing."""
    path = _shared_data_dir()
    assert (path / "twcs_sample.csv").is_file(), (
        f"shared data not found at {path}: set TWEETCARE_DATA_DIR to the folder holding "
        "twcs_sample.csv (CI has it at ../shared/data beside the repository)"
    )
    return path


@pytest.fixture(
    scope="session", params=["ours", pytest.param("shared", marks=pytest.mark.shared_data)]
)
def replay_files(request: pytest.FixtureRequest) -> ReplayFiles:
    """Our small files (``tests/fixtures``), then the shared real ones (the ``shared_data``
    tier): each test asking for this runs on both."""
    if request.param == "ours":
        return OURS
    shared: Path = request.getfixturevalue("data_dir")
    return ReplayFiles(
        shared / "twcs_sample.csv", shared / "ibm_conversations_dev.json", 1400, 40, 500, 1205, 6
    )


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
