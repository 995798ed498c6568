"""The demo's processes with `--workers N`: N workers each of triage and sla, each on its own
metrics port (the first's + 10 per worker) given in its own environment; N out of 1-8 refused."""

from __future__ import annotations

import argparse

import pytest

from services.demo.cli import children, register
from services.demo.settings import DemoSettings


def test_three_workers_each_of_triage_and_sla_on_ports_ten_apart() -> None:
    found = children(DemoSettings(), count=3)
    assert [c.name for c in found] == [
        "triage", "sla", "triage-2", "sla-2", "triage-3", "sla-3", "api", "ingest",
    ]  # fmt: skip
    ports = {c.name: c.env for c in found if c.env}
    assert ports["triage-3"] == {"TWEETCARE_TRIAGE_METRICS_PORT": "8022"}
    assert ports["sla-2"] == {"TWEETCARE_SLA_METRICS_PORT": "8013"}
    by_name = {c.name: c for c in found}
    assert by_name["sla-3"].ready_url == "http://127.0.0.1:8023/healthz"
    assert by_name["sla-3"].argv[-2:] == ("sla", "run")


def test_one_worker_is_the_demo_as_before() -> None:
    assert [c.name for c in children(DemoSettings())] == ["triage", "sla", "api", "ingest"]


@pytest.mark.parametrize("given", ["0", "9", "two"])
def test_workers_out_of_range_are_refused(given: str) -> None:
    parser = argparse.ArgumentParser(prog="tweetcare")
    register(parser.add_subparsers())
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--workers", given])
    assert parser.parse_args(["demo", "--workers", "8"]).workers == 8
