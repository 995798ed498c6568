"""A local fake of the X API v2 endpoints tweepy 4.17 calls, for tests.

It keeps users, tweets, DM events and stream rules, answers in the real v2 shapes (``data``,
``includes``, ``meta``; only the fields asked for with ``tweet.fields``/``user.fields``/
``expansions``), checks bearer tokens (the app token reads; a user's token posts and reads DMs),
counts requests by endpoint (``GET /2/users/:id/mentions``), answers scripted failures (429 with
``x-rate-limit-reset``, 503, ...) and plays a scripted filtered stream (``stream.py``). HTTP
plumbing is in ``wire.py``, the rule language in ``query.py``.

    with FakeX() as x:
        acme = x.add_user("AcmeHelp", verified=True)
        x.add_tweet("mika_t", "@AcmeHelp where is my parcel?")
        ...point the adapter at x.base_url...
"""

from __future__ import annotations

import re
import threading
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from tests.xapi import stream
from tests.xapi.query import Facts, QueryError, compile_query
from tests.xapi.stream import Step
from tests.xapi.wire import Failure, Handler, Query, problem

SNOWFLAKE_EPOCH_MS = 1288834974657
APP_TOKEN = "app-token"
_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
_DEFAULT_USER_FIELDS = ("id", "name", "username")
_DEFAULT_DM_FIELDS = ("id", "event_type", "text")


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


class FakeX:
    """The fake X: state, scripting and assertions. Start it with ``with FakeX() as x``."""

    def __init__(self, *, start: datetime = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)) -> None:
        self.lock = threading.RLock()
        self._now = start
        self._sequence = 0
        self.users: dict[str, dict[str, Any]] = {}
        self.tweets: dict[str, dict[str, Any]] = {}
        self.dm_events: list[dict[str, Any]] = []
        self.rules: dict[str, dict[str, str]] = {}
        self.posted: list[dict[str, Any]] = []
        self.sent_dms: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []  # (endpoint, query parameters)
        self._holds: dict[str, threading.Event] = {}
        self.tokens: dict[str, str] = {APP_TOKEN: "app"}
        self._failures: dict[str, deque[Failure]] = {}
        self._streams: deque[list[Step]] = deque()
        self.stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> FakeX:
        handler = type("FakeXHandler", (Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        serve = self._server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake with `with FakeX() as x`"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # the world -------------------------------------------------------------------------------

    def _next_id(self) -> tuple[str, datetime]:
        self._now += timedelta(seconds=1)
        self._sequence += 1
        millis = int(self._now.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
        return str((millis << 22) + self._sequence), self._now

    def add_user(
        self, username: str, *, name: str | None = None, verified: bool = False,
        followers: int = 10,
    ) -> dict[str, Any]:  # fmt: skip
        """A user, and a user-context token for it: ``token_of(username)``."""
        with self.lock:
            user_id = str(1000 + len(self.users))
            self.users[user_id] = {
                "id": user_id, "username": username, "name": name or username,
                "verified": verified, "created_at": "2015-03-01T00:00:00.000Z",
                "description": "", "location": "",
                "public_metrics": {"followers_count": followers, "following_count": 5,
                                   "tweet_count": 100, "listed_count": 0},
            }  # fmt: skip
            self.tokens[f"user-token-{username}"] = user_id
            return self.users[user_id]

    def token_of(self, username: str) -> str:
        return f"user-token-{username}"

    def user(self, username: str) -> dict[str, Any]:
        found = self._by_username(username)
        assert found is not None, f"no user {username}"
        return found

    def _by_username(self, username: str) -> dict[str, Any] | None:
        low = username.lower()
        return next((u for u in self.users.values() if u["username"].lower() == low), None)

    def add_tweet(
        self, username: str, text: str, *, reply_to: str | None = None, lang: str = "en",
        retweet_of: str | None = None, mention_parent: bool = True,
    ) -> dict[str, Any]:  # fmt: skip
        """A tweet by ``username``; a reply mentions the parent's author first, as X does,
        unless ``mention_parent`` is False (the author removed it)."""
        with self.lock:
            author = self.user(username)
            tweet_id, created = self._next_id()
            tweet: dict[str, Any] = {
                "id": tweet_id, "author_id": author["id"], "conversation_id": tweet_id,
                "created_at": _time(created), "lang": lang, "edit_history_tweet_ids": [tweet_id],
            }  # fmt: skip
            if reply_to is not None:
                parent = self.tweets[reply_to]
                parent_author = self.users[parent["author_id"]]["username"]
                if mention_parent and not text.lower().startswith(f"@{parent_author.lower()}"):
                    text = f"@{parent_author} {text}"
                tweet["conversation_id"] = parent["conversation_id"]
                tweet["in_reply_to_user_id"] = parent["author_id"]
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
            if retweet_of is not None:
                tweet["referenced_tweets"] = [{"type": "retweeted", "id": retweet_of}]
            tweet["text"] = text
            tweet["entities"] = self._entities(text)
            self.tweets[tweet_id] = tweet
            return tweet

    def _entities(self, text: str) -> dict[str, Any]:
        entities: dict[str, Any] = {}
        mentions = []
        for match in _MENTION.finditer(text):
            mention = {"start": match.start(), "end": match.end(), "username": match.group(1)}
            known = self._by_username(match.group(1))
            if known is not None:
                mention["id"] = known["id"]
            mentions.append(mention)
        hashtags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                    for m in _HASHTAG.finditer(text)]  # fmt: skip
        if mentions:
            entities["mentions"] = mentions
        if hashtags:
            entities["hashtags"] = hashtags
        return entities

    def add_dm(self, sender: str, recipient: str, text: str) -> dict[str, Any]:
        with self.lock:
            return self._dm(self.user(sender)["id"], self.user(recipient)["id"], text)

    def _dm(self, sender_id: str, recipient_id: str, text: str) -> dict[str, Any]:
        event_id, created = self._next_id()
        low, high = sorted([sender_id, recipient_id], key=int)
        event = {
            "id": event_id, "event_type": "MessageCreate", "text": text, "sender_id": sender_id,
            "dm_conversation_id": f"{low}-{high}", "created_at": _time(created),
            "participant_ids": [low, high],
        }  # fmt: skip
        self.dm_events.append(event)
        return event

    def add_rule(self, value: str, tag: str) -> dict[str, str]:
        with self.lock:
            self._sequence += 1
            rule_id = str(1_700_000_000_000_000_000 + self._sequence)
            self.rules[rule_id] = {"id": rule_id, "value": value, "tag": tag}
            return self.rules[rule_id]

    # scripting -------------------------------------------------------------------------------

    def fail(
        self, endpoint: str, status: int, *, times: int = 1, reset_at: int | None = None,
        detail: str = "scripted failure", after: bool = False,
    ) -> None:  # fmt: skip
        """Answer the next ``times`` requests to ``endpoint`` with ``status``; with ``after``, each
        request is carried out first (a post that went through although X answered 503)."""
        headers = {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "0"}
        if reset_at is not None:
            headers["x-rate-limit-reset"] = str(reset_at)
        title = "Too Many Requests" if status == 429 else "Scripted"
        body = problem(status, title, detail).body
        failure = Failure(status, times, headers, body, after=after)
        self._failures.setdefault(endpoint, deque()).append(failure)

    def clear_failures(self, endpoint: str) -> None:
        """Forget the failures still scripted for ``endpoint`` (X has recovered)."""
        with self.lock:
            self._failures.pop(endpoint, None)

    def hold(self, endpoint: str) -> threading.Event:
        """Carry out each request to ``endpoint`` at once but answer it only once the event
        returned is set (a call in flight when its caller is killed)."""
        with self.lock:
            return self._holds.setdefault(endpoint, threading.Event())

    def script_stream(self, *connections: Iterable[Step]) -> None:
        """What each next stream connection delivers, in order."""
        self._streams.extend(list(c) for c in connections)

    # matching and rendering ------------------------------------------------------------------

    def facts(self, tweet: dict[str, Any]) -> Facts:
        entities = tweet.get("entities") or {}
        refs = {r["type"] for r in tweet.get("referenced_tweets", [])}
        return Facts(
            text=tweet["text"].lower(),
            author=self.users[tweet["author_id"]]["username"].lower(),
            to=self.users[tweet["in_reply_to_user_id"]]["username"].lower()
            if tweet.get("in_reply_to_user_id")
            else "",
            mentions=frozenset(m["username"].lower() for m in entities.get("mentions", [])),
            hashtags=frozenset(h["tag"].lower() for h in entities.get("hashtags", [])),
            lang=tweet.get("lang", ""),
            retweet="retweeted" in refs,
            reply="replied_to" in refs,
        )

    def matching_rules(self, tweet: dict[str, Any]) -> list[dict[str, str]]:
        facts = self.facts(tweet)
        return [{"id": r["id"], "tag": r["tag"]} for r in self.rules.values()
                if compile_query(r["value"])(facts)]  # fmt: skip

    def render_tweets(self, tweets: Sequence[dict[str, Any]], query: Query) -> dict[str, Any]:
        wanted = query.fields("tweet.fields", _DEFAULT_TWEET_FIELDS)
        expansions = query.expansions()
        user_ids: list[str] = []
        for tweet in tweets:
            if "author_id" in expansions:
                user_ids.append(tweet["author_id"])
            if "in_reply_to_user_id" in expansions and tweet.get("in_reply_to_user_id"):
                user_ids.append(tweet["in_reply_to_user_id"])
            if "entities.mentions.username" in expansions:
                mentions = (tweet.get("entities") or {}).get("mentions", [])
                user_ids.extend(m["id"] for m in mentions if "id" in m)
        page: dict[str, Any] = {"data": [{k: v for k, v in t.items() if k in wanted}
                                         for t in tweets]}  # fmt: skip
        if user_ids:
            page["includes"] = {"users": self.render_users(dict.fromkeys(user_ids), query)}
        return page

    def render_users(self, ids: Iterable[str], query: Query) -> list[dict[str, Any]]:
        wanted = query.fields("user.fields", _DEFAULT_USER_FIELDS)
        return [{k: v for k, v in self.users[i].items() if k in wanted} for i in ids]

    # routes ----------------------------------------------------------------------------------

    def route(self, endpoint: str, query: Query) -> tuple[int, dict[str, Any]]:
        handler = getattr(self, "_" + re.sub(r"\W+", "_", endpoint.lower()).strip("_"))
        with self.lock:
            self.requests.append((endpoint, dict(query.params)))
            result: tuple[int, dict[str, Any]] = handler(query)
            held = self._holds.get(endpoint)
        if held is not None:
            held.wait(timeout=120)
        return result

    def _timeline(self, tweets: Iterable[dict[str, Any]], query: Query, token: str,
                  low: int) -> tuple[int, dict[str, Any]]:  # fmt: skip
        size = query.number("max_results", 10, low, 100)
        since = int(query.params.get("since_id", "0"))
        until = int(query.params.get("until_id", str(2**63)))
        cursor = query.params.get(token)
        if cursor is not None:
            until = min(until, int(cursor.removeprefix("nt_")))
        found = sorted((t for t in tweets if since < int(t["id"]) < until),
                       key=lambda t: int(t["id"]), reverse=True)  # fmt: skip
        page_tweets = found[:size]
        if not page_tweets:
            return 200, {"meta": {"result_count": 0}}
        page = self.render_tweets(page_tweets, query)
        meta: dict[str, Any] = {"result_count": len(page_tweets),
                                "newest_id": page_tweets[0]["id"],
                                "oldest_id": page_tweets[-1]["id"]}  # fmt: skip
        if len(found) > size:
            meta["next_token"] = "nt_" + page_tweets[-1]["id"]
        page["meta"] = meta
        return 200, page

    def _get_2_users_id_mentions(self, query: Query) -> tuple[int, dict[str, Any]]:
        user = self.users.get(query.path["id"])
        if user is None:
            raise problem(404, "Not Found Error", f"no user {query.path['id']}")
        name = user["username"].lower()
        mentioning = (t for t in self.tweets.values() if name in self.facts(t).mentions)
        return self._timeline(mentioning, query, "pagination_token", 5)

    def _get_2_tweets_search_recent(self, query: Query) -> tuple[int, dict[str, Any]]:
        try:
            matcher = compile_query(query.params.get("query", ""))
        except QueryError as exc:
            raise problem(400, "Invalid Request", str(exc)) from exc
        found = (t for t in self.tweets.values() if matcher(self.facts(t)))
        return self._timeline(found, query, "next_token", 10)

    def _get_2_dm_events(self, query: Query) -> tuple[int, dict[str, Any]]:
        size = query.number("max_results", 100, 1, 100)
        mine = [e for e in self.dm_events if query.caller in e["participant_ids"]]
        cursor = query.params.get("pagination_token")
        if cursor is not None:
            mine = [e for e in mine if int(e["id"]) < int(cursor.removeprefix("nt_"))]
        mine.sort(key=lambda e: int(e["id"]), reverse=True)
        events = mine[:size]
        wanted = query.fields("dm_event.fields", _DEFAULT_DM_FIELDS)
        meta: dict[str, Any] = {"result_count": len(events)}
        if len(mine) > size:
            meta["next_token"] = "nt_" + events[-1]["id"]
        page: dict[str, Any] = {"meta": meta}
        if events:
            page["data"] = [{k: v for k, v in e.items() if k in wanted} for e in events]
        if events and "sender_id" in query.expansions():
            senders = dict.fromkeys(e["sender_id"] for e in events)
            page["includes"] = {"users": self.render_users(senders, query)}
        return 200, page

    def _post_2_tweets(self, query: Query) -> tuple[int, dict[str, Any]]:
        text = str(query.body.get("text", ""))
        reply_to = (query.body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to is not None and reply_to not in self.tweets:
            raise problem(403, "Forbidden", "You attempted to reply to a Tweet that is "
                           "deleted or not visible to you.")  # fmt: skip
        tweet = self.add_tweet(self.users[query.caller]["username"], text, reply_to=reply_to)
        self.posted.append(tweet)
        return 201, {"data": {"id": tweet["id"], "text": tweet["text"],
                              "edit_history_tweet_ids": [tweet["id"]]}}  # fmt: skip

    def _post_2_dm_conversations_with_id_messages(self, query: Query) -> tuple[int, dict[str, Any]]:
        if query.path["id"] not in self.users:
            raise problem(400, "Invalid Request", "participant not found")
        event = self._dm(query.caller, query.path["id"], str(query.body.get("text", "")))
        self.sent_dms.append(event)
        return 201, {"data": {"dm_conversation_id": event["dm_conversation_id"],
                              "dm_event_id": event["id"]}}  # fmt: skip

    def _get_2_users_me(self, query: Query) -> tuple[int, dict[str, Any]]:
        return 200, {"data": self.render_users([query.caller], query)[0]}

    def _get_2_users_by_username_username(self, query: Query) -> tuple[int, dict[str, Any]]:
        user = self._by_username(query.path["username"])
        if user is None:
            name = query.path["username"]
            error = {"value": name, "detail": f"Could not find user with username: [{name}].",
                     "title": "Not Found Error", "resource_type": "user",
                     "parameter": "username"}  # fmt: skip
            return 200, {"errors": [error]}
        return 200, {"data": self.render_users([user["id"]], query)[0]}

    def _get_2_tweets_search_stream_rules(self, query: Query) -> tuple[int, dict[str, Any]]:
        rules = list(self.rules.values())
        body: dict[str, Any] = {"meta": {"sent": _time(self._now), "result_count": len(rules)}}
        if rules:
            body["data"] = rules
        return 200, body

    def _post_2_tweets_search_stream_rules(self, query: Query) -> tuple[int, dict[str, Any]]:
        if "delete" in query.body:
            ids = query.body["delete"].get("ids", [])
            deleted = sum(self.rules.pop(str(i), None) is not None for i in ids)
            return 200, {"meta": {"sent": _time(self._now),
                                  "summary": {"deleted": deleted,
                                              "not_deleted": len(ids) - deleted}}}  # fmt: skip
        created, errors = [], []
        for rule in query.body.get("add", []):
            try:
                compile_query(rule["value"])
            except QueryError as exc:
                errors.append({"value": rule["value"], "details": [str(exc)],
                               "title": "Invalid Rule"})  # fmt: skip
                continue
            created.append(self.add_rule(rule["value"], rule.get("tag", "")))
        body: dict[str, Any] = {"meta": {"sent": _time(self._now), "summary": {
            "created": len(created), "not_created": len(errors),
            "valid": len(created), "invalid": len(errors)}}}  # fmt: skip
        if created:
            body["data"] = created
        if errors:
            body["errors"] = errors
        return 200, body

    # what the HTTP handler asks -------------------------------------------------------------

    def take_failure(self, endpoint: str) -> Failure | None:
        """Count a request to ``endpoint``; the scripted failure it gets, if any."""
        with self.lock:
            self.calls[endpoint] += 1
            failures = self._failures.get(endpoint)
            if not failures:
                return None
            failure = failures[0]
            failure.times -= 1
            if failure.times <= 0:
                failures.popleft()
            return failure

    def stream(self, handler: Handler, query: Query) -> None:
        with self.lock:
            script = self._streams.popleft() if self._streams else []
        stream.serve(self, handler, query, script)
