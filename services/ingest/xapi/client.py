"""The one door to X: tweepy's clients, pointed at a configurable base URL, every call counted.

tweepy 4.17 hard-codes ``https://api.twitter.com`` (``BaseClient.request`` and
``StreamingClient._connect``) but sends every request through ``self.session``. :class:`XSession`
is that session: it swaps the host for ``base_url`` (``https://api.x.com`` in production, the fake
server in tests), counts each HTTP request by endpoint, gives requests without one a timeout and
waits out a 429 until ``x-rate-limit-reset`` with the injected clock and sleep (tweepy's own
``wait_on_rate_limit`` reads ``time.time`` and calls ``time.sleep``, which tests cannot replace).

Tokens are OAuth 2.0 bearer tokens: the app-only token reads (stream, search, mentions); a brand
account's user-context access token posts replies, sends DMs and reads that account's DMs.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import tweepy

from services.plumbing.clock import Clock

"""The current time (aware, UTC); only entry points pass a real one."""
Sleep = Callable[[float], None]
"""Waits the given seconds; tests pass a recorder."""

TWEEPY_HOST = "https://api.twitter.com"

TWEET_FIELDS = (
    "id", "text", "author_id", "conversation_id", "created_at", "referenced_tweets",
    "in_reply_to_user_id", "entities", "lang",
)  # fmt: skip
USER_FIELDS = (
    "id", "username", "name", "verified", "public_metrics", "description", "location",
    "created_at",
)  # fmt: skip
EXPANSIONS = ("author_id", "in_reply_to_user_id", "entities.mentions.username")
DM_EVENT_FIELDS = (
    "id", "text", "event_type", "created_at", "dm_conversation_id", "sender_id",
    "participant_ids", "referenced_tweets",
)  # fmt: skip

_ID_SEGMENT = re.compile(r"^\d+(-\d+)?$")  # user and tweet ids; DM conversations are "id-id"


class XApiError(Exception):
    """X answered with an error, or could not be reached.

    ``status`` is the HTTP status (None for a network failure); ``code`` is stable and short
    (``x_http_403``, ``x_server_error``, ``rate_limited``, ``network``, ``timeout``);
    ``reached`` is False only when the request certainly never reached X.
    """

    def __init__(self, code: str, detail: str, *, status: int | None = None, reached: bool = True):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.status = status
        self.reached = reached


def endpoint_of(method: str, path: str) -> str:
    """``GET /2/users/:id/mentions`` for ``GET /2/users/123/mentions``: ids become placeholders."""
    parts = path.rstrip("/").split("/")
    named = []
    for index, part in enumerate(parts):
        if index and parts[index - 1] == "username":
            named.append(":username")
        elif index > 1 and _ID_SEGMENT.match(part):  # parts[1] is the API version
            named.append(":id")
        else:
            named.append(part)
    return f"{method.upper()} {'/'.join(named)}"


class ApiCalls:
    """Requests made to X by endpoint, and the rate-limit waits; safe to share across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_endpoint: Counter[str] = Counter()
        self.rate_limit_waits: Counter[str] = Counter()
        self.waited_seconds = 0.0

    def record(self, endpoint: str) -> None:
        with self._lock:
            self.by_endpoint[endpoint] += 1

    def record_wait(self, endpoint: str, seconds: float) -> None:
        with self._lock:
            self.rate_limit_waits[endpoint] += 1
            self.waited_seconds += seconds

    @property
    def total(self) -> int:
        return sum(self.by_endpoint.values())


@dataclass(frozen=True)
class RateLimitPolicy:
    """How a 429 is waited out before tweepy sees it.

    Wait until ``x-rate-limit-reset`` plus ``margin_s`` (``fallback_s`` when the header is
    missing), never longer than ``max_wait_s``; after ``max_waits`` waits in a row the 429 goes
    through and the call fails with code ``rate_limited``.
    """

    max_waits: int = 3
    margin_s: float = 1.0
    fallback_s: float = 60.0
    max_wait_s: float = 900.0

    def delay(self, headers: Mapping[str, str], now: datetime) -> float:
        reset = headers.get("x-rate-limit-reset")
        if reset is None or not reset.strip().isdigit():
            return min(self.fallback_s, self.max_wait_s)
        return min(max(int(reset) - now.timestamp(), 0.0) + self.margin_s, self.max_wait_s)


def base_url(url: str) -> str:
    """``scheme://host[:port]`` of ``url``; ValueError for anything else (a path, no scheme)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
        raise ValueError(f"X API base URL {url!r} must look like https://api.x.com")
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Connection:
    """Where X is and how to talk to it: shared by every client the service makes."""

    base_url: str
    calls: ApiCalls
    clock: Clock
    sleep: Sleep
    rate_limits: RateLimitPolicy = field(default_factory=RateLimitPolicy)
    timeout_s: float = 30.0

    def session(self) -> XSession:
        return XSession(self)


class XSession(requests.Session):
    """A requests session that sends tweepy's requests to ``connection.base_url``."""

    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self.connection = connection
        self._base = base_url(connection.base_url)

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        method, url = _text(method), _text(url)
        if url.startswith(TWEEPY_HOST):
            url = self._base + url[len(TWEEPY_HOST) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.connection.timeout_s
        endpoint = endpoint_of(method, urlsplit(url).path)
        policy = self.connection.rate_limits
        waits = 0
        while True:
            self.connection.calls.record(endpoint)
            response = super().request(method, url, *args, **kwargs)
            if response.status_code != 429 or waits >= policy.max_waits:
                return response
            delay = policy.delay(response.headers, self.connection.clock.now())
            response.close()
            waits += 1
            self.connection.calls.record_wait(endpoint, delay)
            self.connection.sleep(delay)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def install(client: Any, connection: Connection) -> None:
    """Point a tweepy client (``Client`` or ``StreamingClient``) at ``connection``."""
    client.session = connection.session()


@contextmanager
def translated() -> Iterator[None]:
    """tweepy's and requests' exceptions as :class:`XApiError` with a stable code."""
    try:
        yield
    except tweepy.TooManyRequests as exc:
        raise XApiError("rate_limited", _message(exc), status=429) from exc
    except tweepy.TwitterServerError as exc:
        status = int(exc.response.status_code)
        raise XApiError("x_server_error", _message(exc), status=status) from exc
    except tweepy.HTTPException as exc:
        status = int(exc.response.status_code)
        raise XApiError(f"x_http_{status}", _message(exc), status=status) from exc
    except requests.ConnectTimeout as exc:
        raise XApiError("timeout", str(exc), reached=False) from exc
    except requests.Timeout as exc:
        raise XApiError("timeout", str(exc)) from exc
    except requests.ConnectionError as exc:
        raise XApiError("network", str(exc)) from exc


def _message(exc: Any) -> str:
    """``HTTP 403: <what X said>``: v2 errors carry ``errors[].message`` or a problem ``detail``."""
    messages = [str(m) for m in exc.api_messages]
    if not messages:
        try:
            detail = exc.response.json().get("detail")
        except ValueError:
            detail = None
        messages = [str(detail or exc.response.reason)]
    return f"HTTP {exc.response.status_code}: " + "; ".join(messages)


def _fields(**params: Any) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


class XApi:
    """The X API v2 calls the ingest service makes, as raw v2 JSON (``data``/``includes``/``meta``).

    Every method raises :class:`XApiError` on failure. One instance per token.
    """

    def __init__(self, token: str, connection: Connection) -> None:
        self._client = tweepy.Client(bearer_token=token, return_type=dict)
        install(self._client, connection)

    def _get(self, call: Callable[..., Any], *args: Any, **params: Any) -> dict[str, Any]:
        with translated():
            page = call(*args, user_auth=False, **_fields(**params))
        return dict(page)

    def mentions(
        self, user_id: str, *, since_id: str | None = None, until_id: str | None = None,
        pagination_token: str | None = None, max_results: int = 100,
    ) -> dict[str, Any]:  # fmt: skip
        """One page of ``GET /2/users/:id/mentions``, newest first."""
        return self._get(
            self._client.get_users_mentions, user_id, since_id=since_id, until_id=until_id,
            pagination_token=pagination_token, max_results=max_results,
            tweet_fields=list(TWEET_FIELDS), user_fields=list(USER_FIELDS),
            expansions=list(EXPANSIONS),
        )  # fmt: skip

    def search_recent(
        self, query: str, *, since_id: str | None = None, until_id: str | None = None,
        next_token: str | None = None, max_results: int = 100,
    ) -> dict[str, Any]:  # fmt: skip
        """One page of ``GET /2/tweets/search/recent``, newest first."""
        return self._get(
            self._client.search_recent_tweets, query, since_id=since_id, until_id=until_id,
            next_token=next_token, max_results=max_results, tweet_fields=list(TWEET_FIELDS),
            user_fields=list(USER_FIELDS), expansions=list(EXPANSIONS),
        )  # fmt: skip

    def dm_events(
        self, *, pagination_token: str | None = None, max_results: int = 100
    ) -> dict[str, Any]:
        """One page of the token owner's ``GET /2/dm_events``, newest first."""
        return self._get(
            self._client.get_direct_message_events, pagination_token=pagination_token,
            max_results=max_results, event_types="MessageCreate",
            dm_event_fields=list(DM_EVENT_FIELDS), expansions=["sender_id"],
            user_fields=list(USER_FIELDS),
        )  # fmt: skip

    def user_by_username(self, username: str) -> dict[str, Any]:
        """The v2 user object of ``username``; code ``not_found`` when X has no such user."""
        page = self._get(
            self._client.get_user, username=username.lstrip("@"), user_fields=list(USER_FIELDS)
        )
        if "data" not in page:
            raise XApiError("not_found", f"X has no user @{username.lstrip('@')}", status=200)
        return dict(page["data"])

    def me(self) -> dict[str, Any]:
        """The user that owns this token."""
        return dict(self._get(self._client.get_me, user_fields=list(USER_FIELDS))["data"])

    def reply(self, text: str, in_reply_to_tweet_id: str) -> str:
        """Post ``text`` in reply to a tweet; the new tweet's id."""
        with translated():
            made = self._client.create_tweet(
                text=text, in_reply_to_tweet_id=in_reply_to_tweet_id, user_auth=False
            )
        return str(made["data"]["id"])

    def send_dm(self, participant_id: str, text: str) -> str:
        """Send a one-to-one DM to ``participant_id``; the new DM event's id."""
        with translated():
            made = self._client.create_direct_message(
                participant_id=participant_id, text=text, user_auth=False
            )
        return str(made["data"]["dm_event_id"])
