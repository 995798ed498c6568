"""Settings the test suite reads (where the shared data lives); tests build it through fixtures."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.plumbing.settings import REPO_ROOT, ServiceSettings


class TestDataSettings(ServiceSettings):
    """Where the real tweet data is: ``TWEETCARE_DATA_DIR``, default ``../shared/data``."""

    __test__ = False  # not a pytest test class

    data_dir: Path = Field(default=REPO_ROOT.parent / "shared" / "data")
