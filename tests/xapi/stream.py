"""The fake X's filtered stream: scripted connections, then live delivery of matching tweets.

A connection plays its script (tweets as newline-delimited JSON in HTTP chunks, ``\\r\\n``
keep-alives, a clean end or an abrupt disconnect); when the script runs out it goes live: each
tweet created afterwards that matches a rule is delivered, with keep-alives between, until the
client goes away or the fake stops.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.xapi.wire import Handler, Query

if TYPE_CHECKING:
    from tests.xapi.server import FakeX


@dataclass(frozen=True)
class Step:
    """One step of a scripted stream connection."""

    kind: str  # tweet | raw | keepalive | disconnect | end
    value: str = ""


KEEPALIVE = Step("keepalive")
DISCONNECT = Step("disconnect")  # the connection drops: no terminating chunk
END = Step("end")  # X closes the stream cleanly


def line(tweet_id: str) -> Step:
    """Deliver the stored tweet ``tweet_id`` (with includes and its matching rules)."""
    return Step("tweet", tweet_id)


def raw(text: str) -> Step:
    return Step("raw", text)


def serve(fake: FakeX, handler: Handler, query: Query, script: list[Step]) -> None:
    with fake.lock:
        delivered = set(fake.tweets)  # live mode delivers only tweets made from now on
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True
    try:
        for step in script:
            if step.kind == "disconnect":
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if step.kind == "end":
                handler.wfile.write(b"0\r\n\r\n")
                return
            handler.chunk(_bytes(fake, step, query))
        _live(fake, handler, query, delivered)
    except OSError:  # the client went away
        return


def _bytes(fake: FakeX, step: Step, query: Query) -> bytes:
    if step.kind == "keepalive":
        return b"\r\n"
    if step.kind == "raw":
        return step.value.encode() + b"\r\n"
    with fake.lock:
        tweet = fake.tweets[step.value]
        page = fake.render_tweets([tweet], query)
        data = {"data": page["data"][0], "matching_rules": fake.matching_rules(tweet)}
        if "includes" in page:
            data["includes"] = page["includes"]
    return json.dumps(data).encode() + b"\r\n"


def _live(fake: FakeX, handler: Handler, query: Query, delivered: set[str]) -> None:
    while not fake.stopping.is_set():
        with fake.lock:
            fresh = [t for i, t in fake.tweets.items() if i not in delivered]
            due = [t for t in fresh if fake.matching_rules(t)]
            delivered.update(t["id"] for t in fresh)
        for tweet in due:
            handler.chunk(_bytes(fake, line(tweet["id"]), query))
        handler.chunk(b"\r\n")
        time.sleep(0.05)
