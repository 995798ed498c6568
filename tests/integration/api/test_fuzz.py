"""The API fuzzed from its own OpenAPI schema (schemathesis), with a token of each role, on the
real Kafka and Elasticsearch: `tweetcare api run` with `tweetcare sla run` on throwaway topics
and indices (``test_api_service``'s system), with a few cases in the read model to act on.

Every operation is called with inputs that fit the schema and with inputs that break it, once
with each role's token: no answer is a 5xx, and every 4xx carries the API's error body,
``{"error": {"code", "message"}}`` with a code from the fixed set below. Generation is
derandomized (the same examples every run) and bounded: ``EXAMPLES`` per operation, role and
mode. Failures of every operation are gathered and reported together."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from elasticsearch import AsyncElasticsearch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from kafka import KafkaProducer
from schemathesis import Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error

from services.api.tokens import TokenStore
from services.plumbing.contracts.actions import Role
from services.plumbing.contracts.codecs import TWEETS_TRIAGED
from services.plumbing.contracts.common import Channel
from services.plumbing.contracts.tweets import Author, PiiKind
from tests.integration.api.harness import ES_URL
from tests.integration.api.test_api_service import DAN, KUMIKO, System, _tweet, _until
from tests.integration.api.test_api_service import system as system  # the fixture

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

ROLES = ("agent", "supervisor", "admin", "integrator")
EXAMPLES = 3
"""Examples per operation, role and generation mode (positive and negative)."""

ERROR_CODES = frozenset({
    # the API's own (services/api/errors.py, error_handlers.py, docs/api.md)
    "missing_token", "invalid_token", "invalid_ticket", "forbidden_role", "case_not_found",
    "not_found", "canned_not_found", "saved_search_not_found", "token_not_found",
    "tweet_not_found", "invalid_input", "invalid_cursor", "invalid_search", "too_many_buckets",
    "body_too_large", "method_not_allowed", "rate_limited", "too_many_exports", "brand_tweet",
    "pii_in_public_reply", "reply_too_long", "unknown_variable", "reply_text_required",
    "empty_reply", "invalid_template", "invalid_role", "handle_not_of_brand",
    # the SLA service's rejections, answered as they come (409, 403)
    "claimed_by_other", "not_claimed", "invalid_transition", "dm_case_public_reply",
    "dm_other_handle",
})  # fmt: skip
"""Every code a 4xx may carry; anything else (``http_error``, a bare FastAPI ``detail``) fails."""

SKIPPED = {("GET", "/v1/queues/{queue}/stream")}
"""A live stream answers 200 and never ends by itself (tests/integration/api/test_api_service.py
and test_stream_tickets.py read it)."""


@schemathesis.check
def stable_error_body(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 4xx answers ``{"error": {"code": <one of ERROR_CODES>, "message": <text>}}``."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"a {response.status_code} whose body is not JSON") from exc
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"a {response.status_code} without an error object: {body}"
    assert error.get("code") in ERROR_CODES, (
        f"a {response.status_code} with code {error.get('code')!r}, not a stable one: {body}"
    )
    assert isinstance(error.get("message"), str), f"an error without a message: {body}"
    return True


CHECKS = [not_a_server_error, stable_error_body]


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate limit out of the way (it is tested in test_limits): every example is answered
    by the route it is for, not by a 429."""
    monkeypatch.setenv("TWEETCARE_API_RATE_PER_S", "100000")
    monkeypatch.setenv("TWEETCARE_API_RATE_BURST", "100000")


async def _tokens(prefix: str) -> dict[str, str]:
    """A token of each role, written to the API's token index as `api token create` does (the
    CLI would start a Python process per token)."""
    es = AsyncElasticsearch(ES_URL)
    try:
        store = TokenStore(es, prefix)
        return {role: (await store.create(f"fuzz-{role}", Role(role)))[0] for role in ROLES}
    finally:
        await es.close()


def _seed(sys_: System, topic: str, bootstrap: str, token: str) -> dict[str, list[str]]:
    """Three cases (public EN, public JA, a DM with personal data) through the SLA service;
    their ids, and their tweets', for path parameters that find something."""
    hana = Author(id="4002", handle="hana_j", name="Hana")
    tweets = [
        _tweet("8001", "@acme_jp my parcel is late", KUMIKO),
        _tweet("8002", "@acme_jp 荷物がまだ届きません", hana, lang="ja"),
        _tweet("8003", "my order 123-4567890 is wrong", DAN, channel=Channel.DM,
               pii=[PiiKind.ORDER_NUMBER]),
    ]  # fmt: skip
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for tweet in tweets:
        producer.send(topic, key=tweet.tweet.case_key.encode(), value=TWEETS_TRIAGED.encode(tweet))
    producer.flush()
    producer.close()
    with sys_.client(token) as client:

        def cases() -> list[Any]:
            answer = client.get("/v1/queues/care/cases")
            if answer.status_code == 503:  # the indexer has not made the indices yet
                return []
            assert answer.status_code == 200, answer.text
            items = answer.json()["items"]
            return list(items) if len(items) == 3 else []

        found = _until(cases, 60, "3 cases in the read model")
    return {
        "case_id": [c["case"]["case_id"] for c in found],
        "tweet_id": [t.tweet.tweet_id for t in tweets],
    }


def _strategy(
    operation: Any, mode: GenerationMode, known: dict[str, list[str]]
) -> st.SearchStrategy[Case]:
    """The operation's cases; where a path names a case or a tweet, most name a seeded one."""
    generated = operation.as_strategy(generation_mode=mode)
    names = {p.name for p in operation.path_parameters}
    real = [
        operation.as_strategy(generation_mode=mode, path_parameters={name: value})
        for name in names & known.keys()
        for value in known[name]
    ]
    return st.one_of(generated, *real) if real else generated


def _fuzz(
    operation: Any, mode: GenerationMode, known: dict[str, list[str]], call: Callable[[Case], None]
) -> None:
    @settings(
        max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(case=_strategy(operation, mode, known))
    def run(case: Case) -> None:
        call(case)

    run()


def test_every_operation_with_every_role_answers_no_5xx_and_stable_4xx(
    unthrottled: None, request: pytest.FixtureRequest, kafka_bootstrap: str
) -> None:
    sys_, topics = request.getfixturevalue("system")  # after `unthrottled`: it reads the env
    tokens = asyncio.run(_tokens(sys_.env["TWEETCARE_ES_INDEX_PREFIX"]))
    known = _seed(sys_, topics["triaged"], kafka_bootstrap, tokens["agent"])
    schema = schemathesis.openapi.from_dict(httpx.get(f"{sys_.base}/openapi.json").json())
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    answered: Counter[tuple[str, int]] = Counter()
    started = time.monotonic()
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for role, token in tokens.items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                def call(case: Case, token: str = token) -> None:
                    response = case.call(
                        base_url=sys_.base, headers={"Authorization": f"Bearer {token}"},
                        timeout=30,
                    )  # fmt: skip
                    answered[case.operation.label, response.status_code] += 1
                    case.validate_response(response, checks=CHECKS)

                try:
                    _fuzz(operation, mode, known, call)
                except Unsatisfiable:  # no input breaks the schema of an operation without any
                    assert mode == GenerationMode.NEGATIVE, operation.label
                except (Exception, BaseExceptionGroup) as exc:  # gathered, reported at the end
                    failures.append(f"{operation.label} as {role} ({mode.value}):\n{exc}")
    elapsed = time.monotonic() - started
    print(f"fuzz: {len(operations)} operations, {answered.total()} calls in {elapsed:.0f} s")
    for label in sorted({label for label, _ in answered}):
        print(f"  {label}: {sorted((s, n) for (op, s), n in answered.items() if op == label)}")
    assert answered.total() > len(operations) * len(ROLES), "the fuzz barely ran"
    assert not failures, f"{len(failures)} failing operation/role/mode runs:\n\n" + "\n\n".join(
        failures
    )
