"""Move to DM: a public reply that repeats the customer's personal data is refused
(``pii_in_public_reply``), the console's nudge with X's DM link passes, and the same data goes by
DM; a thread holding personal data warns on a public reply."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.api.cases.actions import ReplyBody, reply
from services.api.errors import InvalidInputError
from services.plumbing.contracts.common import Channel
from services.sla.policies import Policy, PolicySpec
from services.sla.tweets import on_tweet
from tests.factories.sla import AGENT_A, triaged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
NUDGE_EN = (
    "We'd like to help, but please don't share personal details in public. Send us a DM and "
    "we'll pick it up there: https://twitter.com/messages/compose?recipient_id=3019283746"
)
NUDGE_JA = (
    "ご連絡ありがとうございます。個人情報は公開の場に書かず、こちらのDMでお知らせください："
    "https://twitter.com/messages/compose?recipient_id=3019283746"
)


def _case() -> Any:
    return on_tweet((), triaged("1", T0), Policy(PolicySpec())).book[0].case


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("We are checking order 859-7153762 now.", "order_number"),
        ("お電話番号 090-1234-5678 に折り返します。", "phone"),
        ("We'll write to aiko@example.com today.", "email"),
    ],
)
def test_a_public_reply_repeating_personal_data_is_refused(text: str, kind: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        reply(_case(), AGENT_A, ReplyBody(text=text), None, T0, thread_has_pii=True)
    assert refused.value.code == "pii_in_public_reply"
    assert kind in refused.value.message
    # The same words by DM are the way to say them.
    action, _ = reply(_case(), AGENT_A, ReplyBody(text=text, channel="dm"), None, T0, True)
    assert (action.channel, action.text) == (Channel.DM, text)


@pytest.mark.parametrize("nudge", [NUDGE_EN, NUDGE_JA])
def test_the_nudge_with_the_dm_link_goes_out_in_public_with_the_thread_warning(
    nudge: str,
) -> None:
    action, warnings = reply(_case(), AGENT_A, ReplyBody(text=nudge), None, T0, True)
    assert (action.channel, action.text) == (Channel.PUBLIC, nudge)
    assert [w["code"] for w in warnings] == ["thread_has_pii"]
