"""Settings errors, JSON logs and the bilingual full-text query: the shared plumbing."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import orjson
import pytest

from services.localinfra.kafka import _properties
from services.localinfra.provision import (
    INGEST_LEASE,
    INGEST_STATE,
    SLA_STATE,
    topic_config,
    topic_names,
)
from services.localinfra.settings import InfraSettings
from services.plumbing.logs import JsonFormatter
from services.plumbing.settings import SettingsError, load_settings
from services.plumbing.text.search import full_text_query


class Required(InfraSettings):
    api_signing_key: str


def test_missing_and_invalid_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWEETCARE_KAFKA_PARTITIONS", "zero")
    monkeypatch.setenv("TWEETCARE_ES_URL", "file:///etc/passwd")
    with pytest.raises(SettingsError) as caught:
        load_settings(Required)
    message = str(caught.value)
    assert "TWEETCARE_API_SIGNING_KEY: Field required" in message
    assert "TWEETCARE_KAFKA_PARTITIONS" in message
    assert "TWEETCARE_ES_URL" in message


def test_settings_are_frozen_and_derive_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWEETCARE_KAFKA_BOOTSTRAP", "127.0.0.1:29092")
    monkeypatch.setenv("TWEETCARE_ES_URL", "http://127.0.0.1:29200")
    settings = load_settings(InfraSettings)
    assert (settings.kafka_port, settings.es_port) == (29092, 29200)
    with pytest.raises(ValueError, match="frozen"):
        settings.kafka_partitions = 9  # type: ignore[misc]


def test_kafka_properties_listen_on_loopback_with_settings_ports() -> None:
    settings = InfraSettings(kafka_bootstrap="127.0.0.1:29092", kafka_controller_port=29093)
    props = dict(line.split("=", 1) for line in _properties(settings, Path("/data")).splitlines())
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["log.dirs"] == "/data"


def test_every_event_topic_has_a_dead_letter_topic_and_the_state_topic_is_compacted() -> None:
    names = topic_names()
    state = [SLA_STATE, INGEST_LEASE, *INGEST_STATE]  # not events: no dead letters
    events = [n for n in names if not n.endswith(".dlq") and n not in state]
    assert sorted(names) == sorted([*events, *(f"{n}.dlq" for n in events), *state])
    assert topic_config(SLA_STATE) == {"cleanup.policy": "compact"}
    assert all(topic_config(n) == {"cleanup.policy": "compact"} for n in INGEST_STATE)
    assert topic_config("cases.events") == {"cleanup.policy": "delete", "retention.ms": "-1"}
    assert "tweets.raw" in events
    assert "cases.events" in events


def _log_line(**extra: object) -> dict[str, object]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("ingest"))
    logger = logging.getLogger("test.json")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.warning("stream reconnect %s", 3, extra=extra)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    doc: dict[str, object] = orjson.loads(lines[0])
    return doc


def test_logs_are_one_json_object_per_line_with_secrets_redacted() -> None:
    doc = _log_line(bearer_token="AAAA-secret", attempt=3, endpoint="/2/tweets/search/stream")
    assert doc["msg"] == "stream reconnect 3"
    assert doc["level"] == "warning"
    assert doc["service"] == "ingest"
    assert doc["attempt"] == 3
    assert doc["endpoint"] == "/2/tweets/search/stream"
    assert doc["bearer_token"] == "[redacted]"
    assert "AAAA-secret" not in orjson.dumps(doc).decode()
    assert str(doc["ts"]).endswith("+00:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("late parcel", [{"match": {"text": {"query": "late parcel", "operator": "and"}}}]),
        ("配達", [{"match_phrase": {"text": "配達"}}]),
        (
            "acme 配達 遅い",
            [
                {"match_phrase": {"text": "配達"}},
                {"match_phrase": {"text": "遅い"}},
                {"match": {"text": {"query": "acme", "operator": "and"}}},
            ],
        ),
        ("ログインできない", [{"match_phrase": {"text": "ログインできない"}}]),
    ],
)
def test_full_text_query_uses_phrases_for_japanese(text: str, expected: list[object]) -> None:
    assert full_text_query(text) == {"bool": {"must": expected}}


def test_empty_query_matches_nothing() -> None:
    assert full_text_query("   ") == {"match_none": {}}


def test_keep_running_restarts_a_crashed_loop_until_stopped() -> None:
    import asyncio

    from services.plumbing.loops import keep_running

    calls: list[int] = []

    async def main() -> None:
        stop = asyncio.Event()

        async def flaky() -> None:
            calls.append(len(calls))
            if len(calls) < 3:
                raise ConnectionError("broker went away")
            stop.set()

        await asyncio.wait_for(keep_running("test", flaky, stop, pause_s=0.01), 5)

    asyncio.run(main())
    assert calls == [0, 1, 2]
