"""Which queue a triaged tweet belongs to: the first matching route, else the default."""

from __future__ import annotations

from dataclasses import dataclass

from services.plumbing.contracts.common import Priority
from services.plumbing.contracts.tweets import MatchKind, Reason, Topic
from services.triage.config import Match, TriageConfig


@dataclass(frozen=True)
class RouteFacts:
    brand: str
    handle: str
    lang: str
    topic: Topic
    priority: Priority
    vip: bool
    channel: str
    found_via: MatchKind | None = None  # None (not known) matches no ``found_via`` condition


def _holds(match: Match, facts: RouteFacts) -> bool:
    def any_of(allowed: list[str] | None, value: str) -> bool:
        return allowed is None or value.lower() in {a.lower() for a in allowed}

    return (
        any_of(match.brand, facts.brand)
        and any_of(match.handle, facts.handle.lstrip("@"))
        and any_of(match.lang, facts.lang)
        and (match.topic is None or facts.topic in match.topic)
        and (match.priority is None or facts.priority in match.priority)
        and (match.vip is None or match.vip == facts.vip)
        and any_of(match.channel, facts.channel)
        and (match.found_via is None or facts.found_via in match.found_via)
    )


def route(facts: RouteFacts, config: TriageConfig) -> tuple[str, Reason]:
    """Every tweet lands in exactly one queue."""
    for index, candidate in enumerate(config.routes):
        if _holds(candidate.when, facts):
            return candidate.queue, Reason(
                field="queue", rule=f"route[{index}]", detail=candidate.queue
            )
    return config.default_queue, Reason(field="queue", rule="default", detail=config.default_queue)
