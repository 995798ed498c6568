"""The outbox ledger on a compacted topic keyed by reply id, shared by every ingest replica.

The outbox writes ``attempting`` before its call to X and ``posted``/``failed`` after it, each
acknowledged by Kafka before it goes on (:class:`~services.ingest.xapi.outbox.Outbox`). Before
answering :meth:`TopicLedger.latest` it reads the topic up to its end, so when an
``outbox.replies`` partition moves to another replica (a rebalance, a replica killed mid-post)
the new owner sees what the old one wrote: a reply ``posted`` is answered from the ledger, one
left ``attempting`` is reported ``outcome_unknown`` — never posted a second time.

:meth:`TopicLedger.unresolved` is empty: another replica may be posting a reply this one sees
``attempting``. A reply cut short is resolved when it is delivered again, which it is (its
offset is committed only after its result was published).
"""

from __future__ import annotations

from collections.abc import Iterable

from services.ingest.compacted import CompactedTopic
from services.ingest.xapi.outbox import LedgerEntry, LedgerError, entry_from_json, entry_json


class TopicLedger:
    """The latest entry of every reply, read from (and appended to) ``topic``."""

    def __init__(self, topic: CompactedTopic) -> None:
        self._topic = topic
        self._latest: dict[str, LedgerEntry] = {}
        self._catch_up()

    def _catch_up(self) -> None:
        for record in self._topic.catch_up():
            if record.value is None:
                self._latest.pop(record.key, None)
                continue
            try:
                entry = entry_from_json(record.value)
            except (ValueError, TypeError) as exc:
                # Only ingest writes here: a record it cannot read could be the one saying a
                # reply was posted, so the outbox stops rather than risk posting it again.
                raise LedgerError(f"{record.where}: {exc}") from exc
            self._latest[entry.reply_id] = entry

    def latest(self, reply_id: str) -> LedgerEntry | None:
        """Raises :class:`~services.ingest.compacted.SharedStateError` when Kafka cannot be
        read (the outbox loop retries the reply)."""
        self._catch_up()
        return self._latest.get(reply_id)

    def unresolved(self) -> list[LedgerEntry]:
        return []

    def append(self, entry: LedgerEntry) -> None:
        self._topic.write(entry.reply_id, entry_json(entry))
        self._latest[entry.reply_id] = entry

    def adopt(self, entries: Iterable[LedgerEntry]) -> int:
        """Write the entries of replies this ledger has nothing of (the file ledger of a
        version that kept it in the state directory, so an upgrade does not forget what was
        posted); how many were written."""
        self._catch_up()
        missing = [e for e in entries if e.reply_id not in self._latest]
        for entry in missing:
            self.append(entry)
        return len(missing)
