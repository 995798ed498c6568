"""HTTP for the fake X: routes, bearer tokens, scripted failures, JSON answers, chunks."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", r"/2/tweets/search/stream", "GET /2/tweets/search/stream"),
    ("GET", r"/2/tweets/search/stream/rules", "GET /2/tweets/search/stream/rules"),
    ("POST", r"/2/tweets/search/stream/rules", "POST /2/tweets/search/stream/rules"),
    ("GET", r"/2/tweets/search/recent", "GET /2/tweets/search/recent"),
    ("GET", r"/2/users/(?P<id>\d+)/mentions", "GET /2/users/:id/mentions"),
    ("GET", r"/2/dm_events", "GET /2/dm_events"),
    ("POST", r"/2/tweets", "POST /2/tweets"),
    ("POST", r"/2/dm_conversations/with/(?P<id>\d+)/messages",
     "POST /2/dm_conversations/with/:id/messages"),
    ("GET", r"/2/users/me", "GET /2/users/me"),
    ("GET", r"/2/users/by/username/(?P<username>\w+)", "GET /2/users/by/username/:username"),
)  # fmt: skip
STREAM = "GET /2/tweets/search/stream"
_USER_CONTEXT = {"POST /2/tweets", "POST /2/dm_conversations/with/:id/messages",
                 "GET /2/dm_events", "GET /2/users/me"}  # fmt: skip
_APP_ONLY = {STREAM, "GET /2/tweets/search/stream/rules", "POST /2/tweets/search/stream/rules"}


@dataclass
class Failure:
    status: int
    times: int
    headers: dict[str, str]
    body: dict[str, Any]
    after: bool = False  # the request is carried out first, then answered with the failure


class ReplyError(Exception):
    """Raised by a route to answer with ``status`` and a JSON ``body``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def problem(status: int, title: str, detail: str) -> ReplyError:
    """An error in X's v2 problem shape."""
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    return ReplyError(status, body)


@dataclass
class Query:
    params: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    path: dict[str, str] = field(default_factory=dict)
    caller: str = ""  # "app" or the user id whose token was sent

    def fields(self, name: str, default: Sequence[str]) -> set[str]:
        given = self.params.get(name)
        return set(default) | (set(given.split(",")) if given else set())

    def expansions(self) -> set[str]:
        given = self.params.get("expansions")
        return set(given.split(",")) if given else set()

    def number(self, name: str, default: int, low: int, high: int) -> int:
        value = self.params.get(name)
        if value is None:
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise problem(400, "Invalid Request",
                          f"The `{name}` query parameter value [{value}] is not between "
                          f"{low} and {high}")  # fmt: skip
        return int(value)


def route_of(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The endpoint (``GET /2/users/:id/mentions``) and path parameters of a request."""
    for route_method, pattern, endpoint in ROUTES:
        found = re.fullmatch(pattern, path)
        if route_method == method and found:
            return endpoint, found.groupdict()
    return None


class Handler(BaseHTTPRequestHandler):
    """One connection; ``fake`` (a FakeX) is set on a subclass made per server."""

    protocol_version = "HTTP/1.1"
    fake: Any

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read ``fake.calls`` instead."""

    def chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else {}
        routed = route_of(method, url.path)
        if routed is None:
            self._send(404, {"title": "Not Found", "detail": f"{method} {url.path}"})
            return
        endpoint, path_params = routed
        failure = self.fake.take_failure(endpoint)
        if failure is not None and not failure.after:
            self._send(failure.status, failure.body, failure.headers)
            return
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        query = Query(params, body, path_params)
        try:
            query.caller = self._caller(endpoint)
            if endpoint == STREAM:
                self.fake.stream(self, query)
                return
            status, answer = self.fake.route(endpoint, query)
        except ReplyError as reply:
            status, answer = reply.status, reply.body
        if failure is not None:  # done, yet answered as failed (X's 5xx after a write)
            status, answer = failure.status, failure.body
        self._send(status, answer)

    def _caller(self, endpoint: str) -> str:
        auth = self.headers.get("Authorization", "")
        caller: str | None = self.fake.tokens.get(auth.removeprefix("Bearer "))
        if caller is None:
            raise problem(401, "Unauthorized", "Unauthorized")
        if endpoint in _USER_CONTEXT and caller == "app":
            raise problem(403, "Unsupported Authentication", "Authenticating with OAuth 2.0 "
                          "Application-Only is forbidden for this endpoint.")  # fmt: skip
        if endpoint in _APP_ONLY and caller != "app":
            raise problem(403, "Unsupported Authentication", "Use the app-only bearer token.")
        return caller

    def _send(self, status: int, body: dict[str, Any], headers: Any = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
