"""One pipeline benchmark run once the services are up: warm-up, load steps with lag sampling
and probes, the drain, then (services stopped) the SLA fires, and the physical limits."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import orjson

from bench._pipeline_es import es_limit, run_documents
from bench._pipeline_kafka import LagSampler, Stage, kafka_limit, read_topic
from bench._pipeline_load import PROBE_KEY, Feeder, Probes, event_pool
from bench._pipeline_report import (
    MACHINE,
    Criteria,
    Fire,
    Limits,
    Sample,
    StepReport,
    Window,
    cpu_cores,
    overdue_unfired,
    step_report,
)
from bench._pipeline_services import Services, cpu_seconds, infra_pids
from services.demo.cli import seed
from services.demo.namespace import Namespace
from services.demo.settings import DemoSettings
from services.plumbing.publisher import make_producer

KAFKA_LIMIT_EVENTS = 100_000
ES_LIMIT_TWEETS = 20_000
WARMUP_TIMEOUT_S = 120.0


PROBE_GRACE_S = 15.0
"""After every stage caught up, how long the drain still waits for a probe to be listed."""


class SessionError(Exception):
    """The run could not go on; the message says what happened and what to look at."""


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Session:
    def __init__(
        self, args: argparse.Namespace, settings: DemoSettings, space: Namespace,
        say: Callable[[str], None],
    ) -> None:  # fmt: skip
        self.args = args
        self.settings = settings
        self.say = say
        self.names = space.values()
        self.space = space
        self.stages = [
            Stage("triage", self.names["triage_app_id"], (self.names["triage_in_topic"],)),
            Stage("sla", self.names["sla_app_id"], (self.names["sla_triaged_topic"],)),
            Stage("indexer", self.names["api_indexer_group"],
                  (self.names["api_tweets_topic"], self.names["api_cases_topic"])),
        ]  # fmt: skip
        self.samples: dict[str, list[Sample]] = {s.name: [] for s in self.stages}
        self.origin = time.monotonic()
        self.pool: list[Any] = []
        self.status = ""
        self._sampling: asyncio.Task[None] | None = None
        self.idle_cpu: dict[str, float] = {}  # cores each process used with no load

    def make_pool(self) -> None:
        began = time.monotonic()
        self.pool = event_pool(self.args.pool, self.args.seed, self.args.rate, self.args.customers)
        self.say(
            f"generated {len(self.pool):,} events from up to {self.args.customers:,} customers "
            f"in {time.monotonic() - began:.1f}s (looped, ids unique per loop)"
        )

    async def run(self, services: Services) -> tuple[list[StepReport], Limits | None, int]:
        tokens = await seed(self.settings, self.space.index_prefix)
        producer = make_producer(self.settings, client_id="tweetcare-bench-feed")
        await producer.start()
        raw = self.names["ingest_tweets_topic"]
        probes = Probes(producer, raw, services.api_url, tokens["agent"])
        sampler = LagSampler(self.settings.kafka_bootstrap, self.stages,
                             self.settings.kafka_partitions)  # fmt: skip
        stop = asyncio.Event()
        self._sampling = asyncio.create_task(self._sample(sampler, probes, stop))
        tasks = [self._sampling, asyncio.create_task(probes.poll(stop))]
        try:
            await self._warm_up(probes, services)
            self.idle_cpu = await self._idle(services)
            raw_steps = await self._steps(Feeder(producer, raw, self.pool), probes, services)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await producer.stop()
            sampler.close()
        stopped_at = datetime.now(UTC)
        self.say("stopping the services")
        await asyncio.to_thread(services.stop)
        fires, clocks, opened_ms = await self._fires(set(probes.sent))
        triaged_ms = await self._triaged(set(probes.sent))
        overdue = overdue_unfired(clocks, stopped_at, grace_s=1.0)
        steps = []
        for window, cpu in raw_steps:
            since, until = window.start + self.origin, window.end + self.origin
            seen, missing = probes.latencies(since, until)
            marks = probes.marks(since, until, triaged_ms, opened_ms)
            steps.append(step_report(window, self.samples, seen, missing, fires, cpu,
                                     marks=marks))  # fmt: skip
        limits = None if self.args.no_limits else await self._limits()
        return steps, limits, overdue

    async def _sample(self, sampler: LagSampler, probes: Probes, stop: asyncio.Event) -> None:
        """Every second until ``stop``: each stage's offsets; progress every 5 s."""
        loop = asyncio.get_running_loop()
        last_said = 0.0
        with ThreadPoolExecutor(1, thread_name_prefix="lag") as pool:
            while not stop.is_set():
                began = time.monotonic()
                got = await loop.run_in_executor(pool, sampler.sample, began - self.origin)
                for name, sample in got.items():
                    self.samples[name].append(sample)
                if began - last_said >= 5:
                    last_said = began
                    lags = ", ".join(f"{n} {s.lag:,}" for n, s in got.items())
                    shown = f"probes {len(probes.seen)}/{len(probes.sent)} in the queue API"
                    self.say(f"{self.status} lag {lags}; {shown}")
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - began)))

    def _check(self, services: Services) -> None:
        """Raise when a service stopped or the lag sampling failed."""
        gone = services.dead()
        if gone:
            raise SessionError(gone)
        if self._sampling is not None and self._sampling.done():
            failure = self._sampling.exception()
            raise SessionError(f"sampling the consumer lag stopped: {failure!r}; is Kafka up?")

    async def _warm_up(self, probes: Probes, services: Services) -> None:
        """One probe through every stage before the load: all groups have joined and the
        read model answers."""
        self.status = "warm-up:"
        tweet = await probes.send_one()
        deadline = time.monotonic() + WARMUP_TIMEOUT_S
        while tweet not in probes.seen:
            self._check(services)
            if time.monotonic() > deadline:
                lags = {n: s[-1].lag for n, s in self.samples.items() if s}
                raise SessionError(
                    f"the warm-up probe did not show in the queue API within "
                    f"{WARMUP_TIMEOUT_S:.0f}s (lags {lags}; API errors {probes.errors[-3:]}); "
                    f"see the logs in {self.settings.demo_state_dir}"
                )
            await asyncio.sleep(0.2)
        self.say(f"warm-up probe visible in {probes.seen[tweet]:.2f}s; the pipeline is up")

    async def _idle(self, services: Services, seconds: float = 5.0) -> dict[str, float]:
        """CPU each process uses with nothing to do (poll loops, timers, the probe poller)."""
        self.status = "idle:"
        pids = {**services.pids(), "bench": os.getpid(), **infra_pids()}
        before, began = cpu_seconds(pids), time.monotonic()
        await asyncio.sleep(seconds)
        return cpu_cores(before, cpu_seconds(pids), time.monotonic() - began)

    async def _steps(
        self, feeder: Feeder, probes: Probes, services: Services
    ) -> list[tuple[Window, dict[str, float]]]:
        pids = {**services.pids(), "bench": os.getpid(), **infra_pids()}
        done: list[tuple[Window, dict[str, float]]] = []
        rate = float(self.args.rate)
        while True:
            number = len(done) + 1
            self.status = f"step {number} ({rate:,.0f}/s):"
            self.say(f"step {number}: feeding {rate:,.0f} tweets/s for {self.args.duration:.0f}s")
            before = cpu_seconds(pids)
            feeding = asyncio.create_task(feeder.feed(rate, self.args.duration))
            sending = asyncio.create_task(probes.send_every(self.args.probe_every, feeding.done))
            while not feeding.done():
                self._check(services)
                await asyncio.wait([feeding], timeout=1.0)
            fed = feeding.result()
            cpu = cpu_cores(before, cpu_seconds(pids), fed.end - fed.start)
            await sending
            self.status = f"step {number} drain:"
            drain_end = await self._drain(fed.end, probes, services)
            window = Window(
                rate,
                fed.start - self.origin,
                fed.end - self.origin,
                drain_end - self.origin,
                fed.wall_start,
                fed.wall_end,
                fed.published,
            )
            done.append((window, cpu))
            verdict = step_report(window, self.samples, [], 0, [], cpu, Criteria())
            self.say(f"step {number}: {fed.published:,} published at "
                     f"{window.published_rate:,.0f}/s; "
                     + ("sustained" if verdict.sustained else "NOT sustained"))  # fmt: skip
            if not (self.args.find_max and verdict.sustained):
                return done
            rate *= self.args.step_factor
            if rate > self.args.max_rate:
                self.say(f"--max-rate {self.args.max_rate:,.0f} reached")
                return done

    async def _drain(self, fed_end: float, probes: Probes, services: Services) -> float:
        """Wait until every stage is caught up and every probe seen (at least 3 s, for the
        timers due at the end of the feed), or ``--drain`` seconds; returns when it ended.
        A probe still not listed :data:`PROBE_GRACE_S` after every stage caught up will not be:
        its case breached before it was indexed (a burst), and the look is at cases not
        breached. It counts as not visible; the drain does not wait for it."""
        tolerance = Criteria().drain_tolerance
        caught_up_at: float | None = None
        while time.monotonic() < fed_end + self.args.drain:
            self._check(services)
            await asyncio.sleep(1.0)
            fresh = [s[-1] for s in self.samples.values() if s and s[-1].t > fed_end - self.origin]
            caught_up = len(fresh) == len(self.samples) and all(s.lag <= tolerance for s in fresh)
            now = time.monotonic()
            caught_up_at = (caught_up_at or now) if caught_up else None
            probes_done = not probes.pending or (
                caught_up_at is not None and now - caught_up_at >= PROBE_GRACE_S
            )
            if caught_up and probes_done and now >= fed_end + 3:
                break
        return time.monotonic()

    async def _triaged(self, probes: set[str]) -> dict[str, float]:
        """When each probe's triaged record was produced (epoch ms, by tweet id)."""
        self.say("reading the run's tweets.triaged for the probes")
        found: dict[str, float] = {}
        topic, parts = self.names["sla_triaged_topic"], self.settings.kafka_partitions
        async for record in read_topic(self.settings.kafka_bootstrap, topic, parts):
            if record.key is not None and PROBE_KEY in record.key:
                tweet_id = orjson.loads(record.value)["tweet"]["tweet_id"]
                if tweet_id in probes:
                    found.setdefault(tweet_id, float(record.timestamp))
        return found

    async def _fires(
        self, probes: set[str]
    ) -> tuple[list[Fire], list[dict[str, Any]], dict[str, float]]:
        """Every warning and breach on the run's cases.events, the clocks of each case's
        newest snapshot (due times parsed), and when each probe's case had its first event
        produced (epoch ms, by the probe's tweet id)."""
        self.say("reading the run's cases.events")
        fires: list[Fire] = []
        opened_ms: dict[str, float] = {}
        newest: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        topic = self.names["sla_events_topic"]
        parts = self.settings.kafka_partitions
        async for record in read_topic(self.settings.kafka_bootstrap, topic, parts):
            # orjson, not the codec: a quarter of a million snapshots validate slowly.
            event = orjson.loads(record.value)
            change = event["change"]
            if change["kind"] in ("sla_warning", "sla_breach") and change.get("due_at"):
                due, fired = _parse_time(change["due_at"]), _parse_time(event["occurred_at"])
                fires.append(Fire(event["event_id"], change["kind"], due, fired))
            case = event["case"]
            if case.get("opening_tweet_id") in probes:
                opened_ms.setdefault(case["opening_tweet_id"], float(record.timestamp))
            held = newest.get(case["case_id"])
            if held is None or held[0] < event["case_version"]:
                newest[case["case_id"]] = (event["case_version"], case["clocks"])
        clocks = []
        for _, case_clocks in newest.values():
            for clock in case_clocks:
                when = clock.get("due_at")
                clocks.append({**clock, "due_at": _parse_time(when) if when else None})
        self.say(f"{len(fires):,} warnings and breaches on {len(newest):,} cases")
        return fires, clocks, opened_ms

    async def _limits(self) -> Limits:
        bootstrap, parts = self.settings.kafka_bootstrap, self.settings.kafka_partitions
        last = {n: s[-1] for n, s in self.samples.items()}
        # Events per tweet the SLA service handled (when it fell behind, the tweets it never
        # reached have no events yet; counting them would understate the documents a tweet makes).
        triaged, handled = last["sla"].ends, max(last["sla"].tweets_done, 1)
        events = last["indexer"].ends - triaged
        per_tweet = events / handled
        self.say("physical limits: Kafka produce->consume of the run's raw events")
        raw_topic = self.names["triage_in_topic"]
        reading = read_topic(bootstrap, raw_topic, parts, KAFKA_LIMIT_EVENTS)
        raw = [(r.key, r.value) async for r in reading]
        watched = {"bench": os.getpid(), **infra_pids()}
        before, began = cpu_seconds(watched), time.monotonic()
        kafka = await kafka_limit(self.settings, raw, KAFKA_LIMIT_EVENTS)
        self.say("physical limits: Elasticsearch _bulk of the indexer's documents")
        n_tweets = min(triaged, ES_LIMIT_TWEETS)
        n_events = round(n_tweets * per_tweet)
        prefix = f"{self.space.index_prefix}-limit"
        ops = await run_documents(bootstrap, parts, self.names["api_tweets_topic"], n_tweets,
                                  self.names["api_cases_topic"], n_events, prefix)  # fmt: skip
        es = await es_limit(self.settings.es_url, prefix, ops)
        # Measured on a quiet machine or not? What other processes used while the limits ran
        # (reading the topics back included: it is short next to the two measurements).
        used = cpu_cores(before, cpu_seconds(watched), time.monotonic() - began)
        others = used.pop(MACHINE, 0.0) - sum(used.values())
        docs_per_tweet = 1 + 2 * per_tweet  # a tweet document; a case and an event document each
        return Limits(kafka.rate, kafka.records, kafka.mean_bytes, es.rate, es.docs,
                      docs_per_tweet, max(others, 0.0))  # fmt: skip
