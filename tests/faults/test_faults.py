"""Faults under a steady stream, then a reconciliation: nothing lost, nothing doubled (issue 15).

The generated stream runs through the four services on a private Kafka and Elasticsearch while
an agent replies through the API. In turn: SIGKILL ingest, triage, sla and api (each restarted),
restart the Kafka broker, stop Elasticsearch for 60 s. Then the stream stops, everything drains,
and ``tests/faults/reconcile.py`` checks the topics and the index: every tweet of tweets.raw
indexed once, every case's events complete and in order with its document at the last version,
every reply posted at most once and posted or failed with a reason, no breach missed or doubled.
docs/faults.md has the figures of a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.localinfra import elasticsearch, kafka
from services.plumbing.contracts.codecs import TopicName
from tests.faults import reconcile
from tests.faults.system import (
    PrivateInfra,
    Replier,
    Say,
    Services,
    case_events,
    dead_letters,
    end_offsets,
    indexed_cases,
    indexed_tweets,
    outbox,
    raw_tweets,
)

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.elasticsearch]

WARM_UP_S = 20
BETWEEN_S = 12  # the stream runs this long after each fault is over
ES_OUTAGE_S = 60
SERVICES = ("ingest", "triage", "sla", "api")
QUIET_S = 15  # drained: nothing written to any topic and the index unchanged this long


def _drain(services: Services, infra: PrivateInfra, replier: Replier, say: Say) -> None:
    """Stop the agent and the stream; wait until every reply has an outcome and nothing moves."""
    replier.stop()
    bootstrap = infra.settings.kafka_bootstrap
    say(f"agent stopped: {len(replier.accepted)} replies accepted, {len(replier.pending)} "
        f"unanswered, {len(replier.rejected)} refused, {replier.errors} errors (last: "
        f"{replier.last_error or 'none'}); waiting for their outcomes")  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        _, results = outbox(bootstrap)
        waiting = replier.accepted.keys() - {r.reply_id for r in results}
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(3)
    say(f"replies without an outcome after waiting: {len(waiting)}")
    say("stopping ingest (SIGTERM): the stream ends; waiting until nothing moves")
    services.stop("ingest")
    topics = [t.value for t in TopicName]
    last: tuple[int, int] | None = None
    quiet_since = time.monotonic()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        now = (end_offsets(bootstrap, topics), len(indexed_tweets(infra.settings.es_url)))
        if now != last:
            last, quiet_since = now, time.monotonic()
            say(f"  records on the topics {now[0]}, tweets indexed {now[1]}")
        elif time.monotonic() - quiet_since >= QUIET_S:
            return
        time.sleep(3)
    say("!! still moving after 180 s; reconciling what there is")


def _run_faults(services: Services, infra: PrivateInfra, say: Say) -> None:
    steps: list[tuple[str, Callable[[], None]]] = []
    for name in SERVICES:

        def kill(name: str = name) -> None:
            services.kill(name)
            say(f"SIGKILLed {name}; restarting it")
            services.start(name)
            services.await_ready(name)

        steps.append((f"SIGKILL {name}", kill))

    def broker() -> None:
        infra.stop(kafka)
        say("Kafka broker stopped; starting it again")
        infra.start(kafka)

    def outage() -> None:
        infra.stop(elasticsearch)
        say(f"Elasticsearch stopped; starting it again in {ES_OUTAGE_S} s")
        time.sleep(ES_OUTAGE_S)
        infra.start(elasticsearch)

    steps += [("restart the Kafka broker", broker), ("stop Elasticsearch", outage)]
    for number, (what, do) in enumerate(steps, 1):
        say(f"fault {number}/{len(steps)}: {what}")
        do()
        for name in SERVICES:
            services.await_ready(name)
        say(f"fault {number} over; the stream runs {BETWEEN_S} s")
        time.sleep(BETWEEN_S)
        services.revive_dead()


@pytest.mark.timeout(1200)
def test_nothing_lost_nothing_doubled_under_faults(
    services: Services, infra: PrivateInfra, say: Say
) -> None:
    replier = Replier(services.api_url, services.agent_token(), say)
    replier.start()
    say(f"stream at {services.env['TWEETCARE_INGEST_GENERATE_PER_MINUTE']}/min, an agent "
        f"replying every {replier.every_s:g} s; warming up {WARM_UP_S} s")  # fmt: skip
    time.sleep(WARM_UP_S)
    _run_faults(services, infra, say)
    _drain(services, infra, replier, say)
    cutoff = datetime.now(UTC) - timedelta(seconds=QUIET_S)
    bootstrap, es_url = infra.settings.kafka_bootstrap, infra.settings.es_url
    say("reconciling the topics and the index")
    raw = raw_tweets(bootstrap)
    events = case_events(bootstrap)
    requests, results = outbox(bootstrap)
    outbound = [t for t in raw if t.direction == "outbound"]
    checks = [
        reconcile.tweets_indexed(raw, indexed_tweets(es_url)),
        reconcile.case_histories(events),
        reconcile.cases_indexed(events, indexed_cases(es_url)),
        reconcile.replies(replier.accepted, requests, results, outbound),
        reconcile.breaches(events, cutoff),
    ]
    dlq = dead_letters(bootstrap)
    report = "\n".join(c.summary() for c in checks)
    say(f"reconciled:\n{report}\ndead letters: {dlq or 'none'}; services that stopped on their "
        f"own: {services.unexpected or 'none'}")  # fmt: skip
    _keep_histories(services.home / "breach-notes.txt", events, checks[-1].notes, say)
    lost = sum(len(c.lost) for c in checks)
    doubled = sum(len(c.doubled) for c in checks)
    say(f"lost {lost}, doubled {doubled}")
    assert all(c.ok for c in checks), report
    assert not dlq, f"dead letters: {dlq}"
    # The run proves something only if each effect happened under the faults.
    figures = {c.name: c.figures for c in checks}
    assert figures["tweets"]["in tweets.raw"] >= 200, report
    assert figures["replies"]["posted"] >= 20, report
    assert figures["breaches"]["breaches"] >= 20, report


def _keep_histories(
    path: Path, events: list[reconcile.CaseEventRow], notes: list[str], say: Any
) -> None:
    """The whole history of each case a breach note names, for a look after the run."""
    named = {note.split()[0] for note in notes}
    lines = [f"{e.case_id} v{e.case_version} {e.kind} at {e.occurred_at.isoformat()} "
             f"state {e.state} fired {e.clock} due {e.due_at} clocks {e.clocks}"
             for e in events if e.case_id in named]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    if named:
        say(f"the histories of the {len(named)} cases with breach notes: {path}")
