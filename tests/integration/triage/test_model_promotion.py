"""A running `tweetcare triage run` follows its models directory: `promote` switches it to
another version without a restart, `rollback` back; every triaged event and /metrics say which
version decided (our own sentences)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kafka import KafkaProducer

from services.plumbing.contracts.codecs import TWEETS_RAW, TWEETS_TRIAGED
from services.triage import versions
from services.triage.training import train
from tests.factories import labelled
from tests.factories.tweets import tweet_event
from tests.integration.scrape import page, wait_for_sample
from tests.integration.workers import ROOT, consume, free_port, worker

pytestmark = pytest.mark.kafka

PARCEL = "@acme my parcel never arrived"


def _cli(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "services.cli", "triage", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_promote_and_rollback_switch_the_running_worker(
    kafka_bootstrap: str, fresh_topics: object, tmp_path: Path
) -> None:
    raw, triaged, dlq = fresh_topics("raw", "triaged", "raw-dlq")  # type: ignore[operator]
    models = tmp_path / "models"
    # A says a parcel that never arrived is no complaint (a bad teacher); B learned it is.
    wrong = [("0" if "parcel" in t else c) for t, c in zip(labelled.TEXTS, labelled.COMPLAINT,
             strict=True)]  # fmt: skip
    a = train({"complaint": (labelled.TEXTS, wrong)}, now=labelled.TRAINED_AT, sources=["a"])
    b = train({"complaint": (labelled.TEXTS, labelled.COMPLAINT)}, now=labelled.TRAINED_AT,
              sources=["b"])  # fmt: skip
    for model in (a, b):
        versions.add(models, model)
    versions.promote(models, a.version)
    env = {
        "TWEETCARE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TWEETCARE_TRIAGE_APP_ID": f"test-triage-{raw.rsplit('.', 1)[-1]}",
        "TWEETCARE_TRIAGE_IN_TOPIC": raw,
        "TWEETCARE_TRIAGE_OUT_TOPIC": triaged,
        "TWEETCARE_TRIAGE_DLQ_TOPIC": dlq,
        "TWEETCARE_TRIAGE_MODEL": str(models),
        "TWEETCARE_TRIAGE_CONFIG_CHECK_SECONDS": "0.2",
        "TWEETCARE_TRIAGE_METRICS_PORT": str(port := free_port()),
    }
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    metrics = page(f"http://127.0.0.1:{port}/metrics")

    def send(tweet_id: str) -> None:
        event = tweet_event(tweet_id, PARCEL)
        producer.send(raw, key=event.case_key.encode(), value=TWEETS_RAW.encode(event))
        producer.flush()

    with worker(["services.cli", "triage", "run"], env, tmp_path / "triage.log") as proc:
        send("1861000000000000201")
        first = consume(kafka_bootstrap, triaged, 1, timeout_s=90, proc=proc)
        _cli("promote", b.version, "--models", str(models))
        wait_for_sample(metrics, f'tweetcare_triage_model_info{{version="{b.version}"}} 1.0')
        send("1861000000000000202")
        second = consume(kafka_bootstrap, triaged, 2, timeout_s=60, proc=proc)
        _cli("rollback", "--models", str(models))
        wait_for_sample(metrics, 'tweetcare_triage_model_reloads_total{result="applied"} 2.0')
        send("1861000000000000203")
        third = consume(kafka_bootstrap, triaged, 3, timeout_s=60, proc=proc)
        shown = metrics()
    producer.close()
    log = (tmp_path / "triage.log").read_text(errors="replace")

    assert len(first) == 1, log[-3000:]
    assert len(third) == 3, log[-3000:]
    decided = {
        e.tweet.tweet_id: (e.model_version, e.triage.complaint)
        for e in map(TWEETS_TRIAGED.decode, third)
    }
    assert decided == {
        "1861000000000000201": (a.version, False),
        "1861000000000000202": (b.version, True),
        "1861000000000000203": (a.version, False),
    }, log[-3000:]
    assert len(second) == 2
    assert f'tweetcare_triage_model_info{{version="{a.version}"}} 1.0' in shown
    assert f'tweetcare_triage_model_info{{version="{b.version}"}}' not in shown
    assert '"msg":"model switched"' in log
