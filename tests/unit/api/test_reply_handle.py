"""The replying handle an agent chooses: absent or the case's own is the case's (no handle on the
action); another of the brand's handles goes on the action as the brand spells it; any other is
refused ``handle_not_of_brand`` (422) with the brand's handles; a DM only ever goes from the
case's handle (``dm_other_handle``, 409). The brand's handles come from the read model's
aggregation, parsed here from the shape Elasticsearch answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.api.brands.service import BrandHandle, handles_of, handles_query
from services.api.cases.actions import ReplyBody, needs_handles, reply
from services.api.cases.by_hand import refuse_early
from services.api.error_handlers import status_of
from services.api.errors import ConflictError, InvalidInputError
from services.plumbing.contracts.cases import Case
from services.plumbing.contracts.common import Channel
from services.sla.policies import Policy, PolicySpec
from services.sla.tweets import on_tweet
from tests.factories.sla import AGENT_A, triaged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
BRAND_HANDLES = ["AcmeHelp", "acme_jp"]


def _case(channel: Channel = Channel.PUBLIC) -> Case:
    """A case of brand acme opened by a tweet to @acme_jp."""
    return on_tweet((), triaged("1", T0, channel=channel), Policy(PolicySpec())).book[0].case


@pytest.mark.parametrize(
    ("wanted", "asks_brand", "on_action"),
    [
        (None, False, None),  # the case's handle, as before
        ("acme_jp", False, None),  # the case's own, named
        ("@ACME_JP", False, None),  # X ignores case and the @
        ("AcmeHelp", True, "AcmeHelp"),  # another of the brand's
        ("acmehelp", True, "AcmeHelp"),  # ... as the brand spells it
        ("@AcmeHelp", True, "AcmeHelp"),
    ],
)
def test_a_handle_of_the_brand_goes_on_the_action(
    wanted: str | None, asks_brand: bool, on_action: str | None
) -> None:
    body = ReplyBody(text="Sorry, checking now.", handle=wanted)
    assert needs_handles(_case(), body) is asks_brand
    action, _ = reply(_case(), AGENT_A, body, None, T0, False, brand_handles=BRAND_HANDLES)
    assert action.handle == on_action
    assert action.channel == Channel.PUBLIC


@pytest.mark.parametrize(
    ("wanted", "brand_handles"),
    [
        ("globex_help", BRAND_HANDLES),  # another brand's, or nobody's
        ("AcmeHelp", []),  # the read model knows no other handle of the brand
        ("acme_jp_", BRAND_HANDLES),  # near is not the same
    ],
)
def test_a_handle_not_of_the_brand_is_refused_with_the_brands_handles(
    wanted: str, brand_handles: list[str]
) -> None:
    body = ReplyBody(text="Sorry, checking now.", handle=wanted)
    with pytest.raises(InvalidInputError) as refused:
        reply(_case(), AGENT_A, body, None, T0, False, brand_handles=brand_handles)
    assert (status_of(refused.value), refused.value.code) == (422, "handle_not_of_brand")
    assert refused.value.detail["handles"] == sorted({"acme_jp", *brand_handles}, key=str.lower)


# A DM case; a public one moved to DM.
@pytest.mark.parametrize("case_channel", [Channel.DM, Channel.PUBLIC])
def test_a_dm_from_another_handle_than_the_cases_is_refused(case_channel: Channel) -> None:
    case = _case(case_channel)
    body = ReplyBody(text="Thanks for the details.", channel="dm", handle="AcmeHelp")
    action, _ = reply(case, AGENT_A, body, None, T0, False, brand_handles=BRAND_HANDLES)
    with pytest.raises(ConflictError) as refused:
        refuse_early(case, action)
    assert (status_of(refused.value), refused.value.code) == (409, "dm_other_handle")


@pytest.mark.parametrize(
    ("case_channel", "reply_channel", "wanted", "posts_as"),
    [
        (Channel.DM, "dm", "ACME_JP", None),  # its own handle, spelt otherwise
        (Channel.DM, "dm", None, None),
        (Channel.PUBLIC, "public", "AcmeHelp", "AcmeHelp"),  # in public, any of the brand's
    ],
)
def test_a_dm_from_the_cases_handle_and_a_public_reply_from_the_brands_pass(
    case_channel: Channel, reply_channel: Any, wanted: str | None, posts_as: str | None
) -> None:
    case = _case(case_channel)
    body = ReplyBody(text="Thanks for the details.", channel=reply_channel, handle=wanted)
    action, _ = reply(case, AGENT_A, body, None, T0, False, brand_handles=BRAND_HANDLES)
    refuse_early(case, action)  # raises when refused
    assert (action.channel, action.handle) == (Channel(reply_channel), posts_as)


def test_a_dm_case_still_refuses_a_public_reply_from_any_handle() -> None:
    body = ReplyBody(text="Hello", channel="public", handle="acme_jp")
    with pytest.raises(ConflictError) as refused:
        reply(_case(Channel.DM), AGENT_A, body, None, T0, False, brand_handles=BRAND_HANDLES)
    assert refused.value.code == "dm_case_public_reply"


def _bucket(key: str, count: int, spelt: str | None) -> dict[str, Any]:
    hits = [] if spelt is None else [{"_source": {"handle": spelt}}]
    return {"key": key, "doc_count": count, "spelt": {"hits": {"hits": hits}}}


def test_the_brands_handles_are_its_tweets_handles_as_spelt_by_the_newest() -> None:
    answer = {
        "aggregations": {
            "handles": {
                "buckets": [
                    _bucket("acme_jp", 40, "acme_jp"),
                    _bucket("acmehelp", 25, "AcmeHelp"),  # the field is lowercased
                    _bucket("acme_uk", 1, None),  # a hit without its handle: the key
                ]
            }
        }
    }
    found = handles_of("acme", answer)
    assert found.brand == "acme"
    assert found.handles == [
        BrandHandle(handle="acme_jp", tweets=40),
        BrandHandle(handle="acme_uk", tweets=1),
        BrandHandle(handle="AcmeHelp", tweets=25),
    ]
    assert handles_of("acme", {"hits": {"hits": []}}).handles == []
    query = handles_query("acme")
    assert query["query"] == {"term": {"brand": "acme"}}
    assert query["aggs"]["handles"]["terms"]["field"] == "handle"
