"""Escalation webhooks through a real local HTTP server: retried while the receiver may take
them later (no answer, 429, 5xx), not after a refusal (4xx), each attempt with the event id; the
logs never carry the URL's path or query (often a secret)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from services.sla.webhooks import deliver, redacted, retryable

SECRET = "T000/B000/s3cr3t-token"


class _Receiver(BaseHTTPRequestHandler):
    answers: ClassVar[list[int]] = []
    seen: ClassVar[list[tuple[str, str | None, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).seen.append((self.path, self.headers.get("X-Tweetcare-Event-Id"), body))
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.answers, _Receiver.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/{SECRET}?key={SECRET}"
    server.shutdown()
    server.server_close()


def _deliver(url: str) -> bool:
    return asyncio.run(deliver(url, b'{"event_id":"e1"}', "e1", delays=(0.01,) * 5))


def test_a_receiver_that_fails_twice_gets_it_on_the_third_attempt(
    receiver: str, caplog: pytest.LogCaptureFixture
) -> None:
    _Receiver.answers = [503, 429]
    with caplog.at_level(logging.WARNING, logger="tweetcare.sla"):
        assert _deliver(receiver) is True
    assert [(e, b) for _, e, b in _Receiver.seen] == [("e1", b'{"event_id":"e1"}')] * 3
    assert len(caplog.records) == 2
    assert all(SECRET not in str(r.__dict__) for r in caplog.records)
    assert caplog.records[0].url == redacted(receiver)


def test_a_refusal_is_final_and_no_answer_is_retried_until_the_retries_run_out(
    receiver: str, caplog: pytest.LogCaptureFixture
) -> None:
    _Receiver.answers = [400]
    assert _deliver(receiver) is False
    assert len(_Receiver.seen) == 1
    closed = "http://127.0.0.1:9/hooks/" + SECRET  # the discard port: nothing answers
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tweetcare.sla"):
        assert _deliver(closed) is False
    assert len(caplog.records) == 6  # the first attempt and five retries
    assert all(SECRET not in str(r.__dict__) for r in caplog.records)


@pytest.mark.parametrize(
    ("status", "again"), [(None, True), (429, True), (500, True), (503, True), (400, False),
                          (404, False), (410, False)],
)  # fmt: skip
def test_what_is_retried(status: int | None, again: bool) -> None:
    assert retryable(status) is again


def test_logs_name_the_scheme_and_host_only() -> None:
    assert redacted("https://user:pw@hooks.example.com:8443/a/b?token=x") == (
        "https://hooks.example.com:8443/…"
    )
