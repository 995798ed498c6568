"""`tweetcare api run` with `tweetcare sla run`: the agent chooses the replying handle among the
brand's (issue 14, item 3).

The brand's handles are those its tweets in the read model went to or came from, as spelt there;
a reply from another of them reaches the outbox from that handle; one from another brand's
handle is refused ``handle_not_of_brand`` with the brand's handles; a DM case is answered by DM
from its own handle only (``dm_other_handle``)."""

from __future__ import annotations

import pytest
from kafka import KafkaProducer

from services.plumbing.contracts.codecs import OUTBOX_REPLIES, TWEETS_TRIAGED
from services.plumbing.contracts.common import Channel
from services.plumbing.contracts.tweets import Author, TriagedTweet
from tests.integration.api.test_api_service import DAN, KUMIKO, System, _tweet, _until, system
from tests.integration.workers import consume

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]
__all__ = ["system"]  # the fixture, from the API's main test

HANA = Author(id="4002", handle="hana_j", name="Hana")
GEN = Author(id="4007", handle="gen_k", name="Gen")


def _to(tweet: TriagedTweet, brand: str, handle: str) -> TriagedTweet:
    """``tweet`` addressed to ``brand``'s ``handle`` (the factory's are acme's @acme_jp)."""
    customer = tweet.tweet.author.id
    moved = tweet.tweet.model_copy(update={"brand": brand, "handle": handle,
                                           "case_key": f"{brand}:{customer}"})  # fmt: skip
    return tweet.model_copy(update={"tweet": moved})


def test_the_agent_replies_from_one_of_the_brands_handles(
    system: tuple[System, dict[str, str]], kafka_bootstrap: str
) -> None:
    sys_, topics = system
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for tweet in (
        _tweet("8101", "@acme_jp my parcel is late", KUMIKO),
        _to(_tweet("8102", "@AcmeHelp where is my refund?", HANA), "acme", "AcmeHelp"),
        _tweet("8103", "my order number is 123-4567890", DAN, channel=Channel.DM),
        _to(_tweet("8104", "@globex_help broken again", GEN), "globex", "globex_help"),
    ):
        producer.send(topics["triaged"], key=tweet.tweet.case_key.encode(),
                      value=TWEETS_TRIAGED.encode(tweet))  # fmt: skip
    producer.flush()
    agent = sys_.client(sys_.token("Aiko", "agent"))

    def cases() -> dict[str, dict[str, object]]:
        items = agent.get("/v1/queues/care/cases").json()["items"]
        return {c["case"]["customer"]["id"]: c["case"] for c in items}

    by_customer = _until(lambda: (c := cases()) and len(c) == 4 and c, 60, "4 open cases")
    kumiko, dan = (str(by_customer[c]["case_id"]) for c in ("4001", "4003"))
    assert by_customer["4001"]["handle"] == "acme_jp"

    # The brand's handles, as its tweets spell them; another brand's are its own. The tweets
    # are indexed beside the cases, not with them: wait until all four are searchable.
    def handles(brand: str) -> dict[str, object]:
        answer = agent.get(f"/v1/brands/{brand}/handles")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def counted(brand: str, want: int) -> dict[str, object] | None:
        got = handles(brand)
        listed = got["handles"]
        assert isinstance(listed, list)
        return got if sum(h["tweets"] for h in listed) == want else None

    acme = _until(lambda: counted("acme", 3), 60, "acme's 3 tweets in the read model")
    assert acme == {"brand": "acme", "handles": [
        {"handle": "acme_jp", "tweets": 2}, {"handle": "AcmeHelp", "tweets": 1}]}  # fmt: skip
    globex = _until(lambda: counted("globex", 1), 60, "globex's tweet in the read model")
    assert [h["handle"] for h in globex["handles"]] == ["globex_help"]
    assert handles("nobody") == {"brand": "nobody", "handles": []}
    bad = agent.get("/v1/brands/a%20b/handles")
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_input")

    # Another brand's handle is refused, naming the brand's; nothing is sent.
    refused = agent.post(f"/v1/cases/{kumiko}/reply",
                         json={"text": "Sorry! Checking.", "handle": "globex_help"})  # fmt: skip
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["handles"]) == ("handle_not_of_brand", ["acme_jp", "AcmeHelp"])

    # Another of the brand's handles, however spelt, posts as the brand spells it.
    chosen = agent.post(f"/v1/cases/{kumiko}/reply",
                        json={"text": "Sorry! Checking.", "handle": "@acmehelp"})  # fmt: skip
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["case"]["handle"] == "acme_jp"  # the case keeps its own

    # A DM case: by DM from its own handle, never from another.
    other = agent.post(f"/v1/cases/{dan}/reply", json={"text": "Thanks, checking.",
                                                       "handle": "AcmeHelp"})  # fmt: skip
    assert (other.status_code, other.json()["error"]["code"]) == (409, "dm_other_handle")
    in_public = agent.post(f"/v1/cases/{dan}/reply", json={"text": "Thanks, checking.",
                                                           "channel": "public"})  # fmt: skip
    assert (in_public.status_code, in_public.json()["error"]["code"]) == (
        409, "dm_case_public_reply"
    )  # fmt: skip
    own = agent.post(f"/v1/cases/{dan}/reply", json={"text": "Thanks, checking.",
                                                     "handle": "acme_jp"})  # fmt: skip
    assert own.status_code == 200, own.text

    # Two replies reached the outbox (keyed by case: on two partitions, in either order).
    posted = [OUTBOX_REPLIES.decode(v) for v in consume(kafka_bootstrap, topics["outbox"], 3, 5)]
    assert sorted((r.case_id == kumiko, r.handle, r.channel) for r in posted) == [
        (False, "acme_jp", Channel.DM),
        (True, "AcmeHelp", Channel.PUBLIC),
    ]
    assert {r.case_id for r in posted} == {kumiko, dan}
