"""The fake X the live-source and outbox tests talk to: the brand account and one customer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.xapi.server import FakeX


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with FakeX() as x:
        x.add_user("AcmeHelp", verified=True)
        x.add_user("mika_t")
        yield x
