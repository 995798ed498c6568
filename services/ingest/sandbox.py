"""A stand-in for X when there are no credentials (the demo): replies are "posted" locally.

Each brand handle of the generated stream gets an account whose ``reply`` and ``send_dm`` return
a fresh snowflake id (carrying the time, as X's do) without leaving the machine. The outbox, its
ledger and the outbound echo work exactly as with X.
"""

from __future__ import annotations

import itertools
from typing import Any

from services.ingest.generator import HANDLES
from services.ingest.normalise import SNOWFLAKE_EPOCH_MS
from services.plumbing.clock import Clock


class SandboxAccount:
    """One brand account in the sandbox: the subset of ``XApi`` the outbox uses."""

    _sequence = itertools.count(1)

    def __init__(self, handle: str, user_id: str, clock: Clock) -> None:
        self.handle = handle
        self.user_id = user_id
        self.clock = clock
        self.posted: list[dict[str, str]] = []

    def _id(self) -> str:
        ms = int(self.clock.now().timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
        return str((ms << 22) | (next(self._sequence) % (1 << 22)))

    def me(self) -> dict[str, Any]:
        return {"id": self.user_id, "username": self.handle}

    def reply(self, text: str, in_reply_to_tweet_id: str) -> str:
        new = self._id()
        self.posted.append({"id": new, "in_reply_to": in_reply_to_tweet_id, "text": text})
        return new

    def send_dm(self, participant_id: str, text: str) -> str:
        new = self._id()
        self.posted.append({"id": new, "dm_to": participant_id, "text": text})
        return new


def sandbox_accounts(clock: Clock) -> dict[str, SandboxAccount]:
    """The generated stream's brand handles, by handle."""
    return {h: SandboxAccount(h, uid, clock) for h, uid in HANDLES.values()}
