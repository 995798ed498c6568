"""Posting agents' replies on X, at most once per ``reply_id``, even across restarts.

A ledger (append-only JSON lines, fsynced) records ``attempting`` before the call to X and
``posted`` or ``failed`` after it, and ``echoed`` once the posted reply's outbound tweet event
was acknowledged by Kafka (until then a redelivered reply publishes it again). A reply whose
ledger already has an outcome is answered from the ledger, never posted again. A reply left
``attempting`` (the process died during the call, or the call's outcome could not be read), and
one X answered with a 5xx (its servers may have written the tweet before failing), may or may
not be on X: it is not posted again but reported failed with code ``outcome_unknown``, so an
agent checks X before writing a new reply. A DM case is answered only by DM
(``POST /2/dm_conversations/with/:id/messages``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from services.ingest.xapi.client import XApi, XApiError
from services.ingest.xapi.cost import CostMeter, Usage
from services.plumbing.clock import Clock
from services.plumbing.contracts.common import Channel, format_utc_ms
from services.plumbing.contracts.outbox import OutboxReply, OutboxResult

OUTCOME_UNKNOWN = "outcome_unknown"
NO_CREDENTIALS = "no_credentials"
POST_TWEET = "POST /2/tweets"
POST_DM = "POST /2/dm_conversations/with/:id/messages"

State = Literal["attempting", "posted", "failed"]


class LedgerError(ValueError):
    """The ledger file has a damaged line before its end; the message names the line."""


@dataclass(frozen=True)
class LedgerEntry:
    reply_id: str
    case_id: str
    case_key: str
    state: State
    at: str
    posted_tweet_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    echoed: bool = False  # the posted reply's outbound tweet event was acknowledged by Kafka


class Ledger(Protocol):
    """Where the outbox records what it did with each reply: this file (:class:`ReplyLedger`,
    one process) or a compacted topic every replica shares
    (:class:`~services.ingest.xapi.ledger_topic.TopicLedger`)."""

    def latest(self, reply_id: str) -> LedgerEntry | None:
        """The newest entry of ``reply_id``, including what other writers wrote before."""

    def unresolved(self) -> list[LedgerEntry]:
        """Replies left ``attempting`` that no one else can still be posting."""

    def append(self, entry: LedgerEntry) -> None:
        """Write ``entry`` durably before returning; raise if it could not be."""


def entry_from_json(text: str | bytes) -> LedgerEntry:
    """A ledger entry from its JSON line; ``ValueError``/``TypeError`` when it is not one."""
    return LedgerEntry(**json.loads(text))


def entry_json(entry: LedgerEntry) -> bytes:
    return json.dumps(asdict(entry), ensure_ascii=False).encode()


class ReplyLedger:
    """The latest ledger entry of every reply, loaded from ``path`` and appended to on change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._latest: dict[str, LedgerEntry] = {}
        if path.exists():
            self._load(path.read_text(encoding="utf-8"))

    def _load(self, text: str) -> None:
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = entry_from_json(line)
            except (ValueError, TypeError) as exc:
                if number == len(lines):  # a write cut short by a crash: never acted on
                    continue
                raise LedgerError(f"{self.path}:{number}: {exc}") from exc
            self._latest[entry.reply_id] = entry

    def latest(self, reply_id: str) -> LedgerEntry | None:
        return self._latest.get(reply_id)

    def entries(self) -> list[LedgerEntry]:
        """The latest entry of every reply."""
        return list(self._latest.values())

    def unresolved(self) -> list[LedgerEntry]:
        """Replies left ``attempting``: their outcome on X is unknown."""
        return [e for e in self._latest.values() if e.state == "attempting"]

    def append(self, entry: LedgerEntry) -> None:
        """Write ``entry`` durably (fsync) before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = entry_json(entry) + b"\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._latest[entry.reply_id] = entry


def _maybe_posted(exc: XApiError) -> bool:
    """Whether a failed call to post may still have posted: X answered 5xx (its servers may
    have written the tweet before failing), or a timeout or a dropped connection came after
    the request left. A 4xx, or a request that never left, certainly did not post."""
    if exc.status is not None:
        return exc.status >= 500
    return exc.code in {"timeout", "network"} and exc.reached


def _handle(handle: str) -> str:
    return handle.lstrip("@").lower()


def result_event_id(reply_id: str) -> str:
    """The same reply always gets the same result id, so consumers drop a repeated result."""
    return hashlib.blake2b(f"outbox-result/{reply_id}".encode(), digest_size=16).hexdigest()


def _result(entry: LedgerEntry) -> OutboxResult:
    """The result of a ledger outcome: the same entry always gives the same event."""
    return OutboxResult(
        event_id=result_event_id(entry.reply_id), reply_id=entry.reply_id,
        case_id=entry.case_id, case_key=entry.case_key,
        status="posted" if entry.state == "posted" else "failed",
        posted_tweet_id=entry.posted_tweet_id, error_code=entry.error_code,
        error=(entry.error or "")[:500] or None,
        attempted_at=datetime.fromisoformat(entry.at.replace("Z", "+00:00")),
    )  # fmt: skip


class Outbox:
    """Posts each reply with the client of the brand handle that answers (``apis``: by handle)."""

    def __init__(
        self, apis: Mapping[str, XApi], ledger: Ledger, *, clock: Clock,
        cost: CostMeter | None = None, user_ids: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.apis = {_handle(h): api for h, api in apis.items()}
        self.ledger = ledger
        self.clock = clock
        self.cost = cost
        self._user_ids = {_handle(h): i for h, i in (user_ids or {}).items()}

    def brand_user_id(self, handle: str) -> str:
        """The X user id of a brand handle: from ``user_ids``, else asked of X once and kept.

        Raises ``XApiError`` (code ``no_credentials`` when the handle has no user token).
        """
        key = _handle(handle)
        if key not in self._user_ids:
            api = self.apis.get(key)
            if api is None:
                raise XApiError(NO_CREDENTIALS, f"no user token for @{key}", reached=False)
            self._user_ids[key] = str(api.me()["id"])
        return self._user_ids[key]

    def _entry(
        self, reply: OutboxReply | LedgerEntry, state: State, *,
        posted_tweet_id: str | None = None, error_code: str | None = None,
        error: str | None = None,
    ) -> LedgerEntry:  # fmt: skip
        entry = LedgerEntry(reply.reply_id, reply.case_id, reply.case_key, state,
                            format_utc_ms(self.clock.now()), posted_tweet_id=posted_tweet_id,
                            error_code=error_code, error=error)  # fmt: skip
        self.ledger.append(entry)
        return entry

    def _failed(self, reply: OutboxReply | LedgerEntry, code: str, detail: str) -> OutboxResult:
        return _result(self._entry(reply, "failed", error_code=code, error=detail))

    def _unknown(self, entry: LedgerEntry) -> OutboxResult:
        detail = "an attempt to post was cut short (stop or crash): check X before replying again"
        return self._failed(entry, OUTCOME_UNKNOWN, detail)

    def echo_due(self, reply_id: str) -> bool:
        """Whether ``reply_id`` is posted and its outbound tweet event not yet acknowledged."""
        entry = self.ledger.latest(reply_id)
        return entry is not None and entry.state == "posted" and not entry.echoed

    def echo_sent(self, reply_id: str) -> None:
        """Record that the posted reply's outbound tweet event was acknowledged by Kafka."""
        entry = self.ledger.latest(reply_id)
        if entry is not None and entry.state == "posted" and not entry.echoed:
            self.ledger.append(replace(entry, echoed=True))

    def recover(self) -> list[OutboxResult]:
        """At start-up: every reply left ``attempting`` is failed ``outcome_unknown``."""
        return [self._unknown(entry) for entry in self.ledger.unresolved()]

    def post(self, reply: OutboxReply) -> OutboxResult:
        """Post ``reply`` unless the ledger has it; the outcome, never an exception from X."""
        known = self.ledger.latest(reply.reply_id)
        if known is not None and known.state == "attempting":
            return self._unknown(known)
        if known is not None:
            return _result(known)
        api = self.apis.get(_handle(reply.handle))
        if api is None:
            detail = f"no user token for @{reply.handle}: set it in TWEETCARE_X_USER_TOKENS"
            return self._failed(reply, NO_CREDENTIALS, detail)
        self._entry(reply, "attempting")
        try:
            posted = self._call(api, reply)
        except XApiError as exc:
            if _maybe_posted(exc):
                detail = f"{exc.detail} (the post may have gone through: check X first)"
                return self._failed(reply, OUTCOME_UNKNOWN, detail)
            return self._failed(reply, exc.code, exc.detail)
        except Exception as exc:  # the call was made, its answer not understood: unknown
            return self._failed(reply, OUTCOME_UNKNOWN, f"{type(exc).__name__}: {exc}")
        return _result(self._entry(reply, "posted", posted_tweet_id=posted))

    def _call(self, api: XApi, reply: OutboxReply) -> str:
        if reply.channel == Channel.DM:
            assert reply.dm_recipient_id is not None  # the contract requires it for DMs
            posted = api.send_dm(reply.dm_recipient_id, reply.text)
            usage, endpoint = Usage.DM_CREATE, POST_DM
        else:
            assert reply.in_reply_to_tweet_id is not None  # ... and a tweet for public replies
            posted = api.reply(reply.text, reply.in_reply_to_tweet_id)
            usage, endpoint = Usage.POST_CREATE, POST_TWEET
        if self.cost is not None:
            self.cost.record(endpoint, usage, 1, now=self.clock.now())
        return posted
