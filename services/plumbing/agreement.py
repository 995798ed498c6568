"""How often agents overturn triage: the verdicts one case event says, agreed or overturned. Pure.

Counted from ``cases.events`` (where agents' decisions are seen):

- every correction record (a correction, 要対応, 対応しない, spam): per field the agent said,
  ``agreed`` when it is what triage said, else ``overturned``;
- a case triage opened that an agent resolves: triage's needs-reply stood (``agreed``). A case
  opened by hand is not counted again (its opening already counted the overturn); it is told
  from one triage opened by its opening time, the agent's, later than its first tweet's.

Each verdict is of the model version that triaged the case's opening tweet (the case's
``model_version``; ``unknown`` for a case of an earlier producer). The overturn rate by label,
queue, language and model version is
``overturned / (agreed + overturned)`` of :class:`AgreementMetrics`;
a falling rate for a newer model version is the proof that it learns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from prometheus_client import CollectorRegistry, Counter

from services.plumbing.contracts.cases import CaseEvent, CaseState, ChangeKind

UNKNOWN_VERSION = "unknown"


@dataclass(frozen=True)
class AgentVerdict:
    label: str  # topic, sentiment, needs_reply, spam
    queue: str
    lang: str
    model_version: str
    verdict: Literal["agreed", "overturned"]


def verdicts(event: CaseEvent) -> list[AgentVerdict]:
    """What ``event`` says of triage's decisions on its case, each of the model version that
    triaged the case's opening tweet."""
    case, change = event.case, event.change
    lang = case.lang or "und"
    model_version = case.model_version or UNKNOWN_VERSION

    def one(label: str, agreed: bool) -> AgentVerdict:
        return AgentVerdict(label, case.queue, lang, model_version,
                            "agreed" if agreed else "overturned")  # fmt: skip

    if change.correction is not None:
        triage = change.correction.triage.said()
        return [
            one(label, triage.get(label, _default(label)) == value)
            for label, value in change.correction.agent.said().items()
        ]
    if change.kind == ChangeKind.STATE_CHANGED and change.by is not None:
        opening = next((e for e in case.thread if e.id == case.opening_tweet_id), None)
        by_triage = opening is not None and opening.at == case.opened_at
        if case.state == CaseState.RESOLVED and by_triage:
            return [one("needs_reply", True)]
    return []


def _default(label: str) -> object:
    """Triage's value when its verdict leaves a field out: spam is said only when true."""
    return False if label == "spam" else None


class AgreementMetrics:
    """Agents' verdicts on triage's decisions (:func:`verdicts`), counted where ``cases.events``
    is consumed (the API's indexer): give it that service's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.verdicts = Counter(
            "tweetcare_triage_agent_verdicts",
            "Agents' verdicts on triage's decisions (agreed or overturned), by label, queue, "
            "language and the model version that decided",
            ["label", "queue", "lang", "model_version", "verdict"],
            registry=registry,
        )

    def count(self, event: CaseEvent) -> None:
        for v in verdicts(event):
            self.verdicts.labels(v.label, v.queue, v.lang, v.model_version, v.verdict).inc()
