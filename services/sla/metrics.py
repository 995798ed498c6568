"""The SLA service's Prometheus metrics, kept from the changes it makes."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.plumbing.casework import CLOSED
from services.plumbing.contracts.cases import CaseEvent, ChangeKind
from services.plumbing.metrics import DlqMetrics
from services.sla.book import Held

_SECONDS = (60, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400, 259200)


class SlaMetrics(DlqMetrics):
    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry)
        self.open_cases = Gauge(
            "tweetcare_sla_open_cases", "Open cases by queue and priority", ["queue", "priority"],
            registry=registry,
        )  # fmt: skip
        self.cases = Gauge(
            "tweetcare_sla_cases", "Cases held by the worker, by state", ["state"],
            registry=registry,
        )  # fmt: skip
        self.fired = Counter(
            "tweetcare_sla_fired", "SLA warnings and breaches emitted, by clock, kind and queue",
            ["clock", "kind", "queue"], registry=registry,
        )  # fmt: skip
        self.first_response = Histogram(
            "tweetcare_sla_first_response_seconds", "Time from case open to first brand response",
            buckets=_SECONDS, registry=registry,
        )  # fmt: skip
        self.timer_lag = Histogram(
            "tweetcare_sla_timer_lag_seconds", "When a warning or breach fired minus when due",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 300),
            registry=registry,
        )  # fmt: skip
        self.webhooks = Counter(
            "tweetcare_sla_webhooks", "Escalation webhook deliveries, by outcome (delivered, "
            "failed: refused or out of retries)", ["outcome"], registry=registry,
        )  # fmt: skip
        self.actions = Counter(
            "tweetcare_sla_actions", "Agent action outcomes, by change and status",
            ["change", "status"], registry=registry,
        )  # fmt: skip

    def changed(self, old: tuple[Held, ...], new: tuple[Held, ...]) -> None:
        """Move the gauges from the book before a step to the book after it."""
        self.changed_books([(old, new)])

    def changed_books(self, changes: Iterable[tuple[tuple[Held, ...], tuple[Held, ...]]]) -> None:
        """Move the gauges for a batch of (before, after) books: one update per label."""
        states: Tally[str] = Tally()
        opened: Tally[tuple[str, str]] = Tally()
        for old, new in changes:
            for book, sign in ((old, -1), (new, 1)):
                for held in book:
                    case = held.case
                    states[case.state.value] += sign
                    if case.state not in CLOSED:
                        opened[(case.queue, case.priority.value)] += sign
        for state, delta in states.items():
            if delta:
                self.cases.labels(state).inc(delta)
        for (queue, priority), delta in opened.items():
            if delta:
                self.open_cases.labels(queue, priority).inc(delta)

    def emitted(self, event: CaseEvent) -> None:
        change = event.change
        if change.kind in (ChangeKind.SLA_WARNING, ChangeKind.SLA_BREACH) and change.clock:
            kind = "breach" if change.kind == ChangeKind.SLA_BREACH else "warning"
            self.fired.labels(change.clock.value, kind, event.case.queue).inc()
        case = event.case
        first = case.first_response_at
        if change.kind == ChangeKind.RESPONDED and first and first == case.last_response_at:
            self.first_response.observe((first - case.opened_at).total_seconds())
        if event.outcome is not None:
            self.actions.labels(change.kind.value, event.outcome.status).inc()
