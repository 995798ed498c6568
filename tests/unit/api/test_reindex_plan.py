"""What `tweetcare api reindex` switches: the next generation of each index, from what exists."""

from __future__ import annotations

from services.api.readmodel.indices import next_generation
from services.api.readmodel.rebuild import Switch, plan_switches


def test_the_next_generation_follows_the_newest() -> None:
    names = ["p-tweets-000001", "p-tweets-000007", "p-tweets-extra", "p-tweets", "q-tweets-000009"]
    assert next_generation(names, "p", "tweets") == 8
    assert next_generation([], "p", "tweets") == 1


def test_an_aliased_generation_is_replaced_by_the_next() -> None:
    found = {
        "p-tweets-000001": {"aliases": {}},  # kept by an earlier --keep-old
        "p-tweets-000002": {"aliases": {"p-tweets": {"is_write_index": True}}},
        "p-cases-000001": {"aliases": {"p-cases": {}}},
        "p-case-events-000001": {"aliases": {"p-case-events": {}}},
    }
    switches, staging = plan_switches("p", found)
    assert switches[0] == Switch("p-tweets", ["p-tweets-000002"], "p-tweets-000003", False)
    assert switches[0].actions() == [
        {"remove": {"index": "p-tweets-000002", "alias": "p-tweets"}},
        {"add": {"index": "p-tweets-000003", "alias": "p-tweets", "is_write_index": True}},
    ]
    assert [s.new for s in switches[1:]] == ["p-cases-000002", "p-case-events-000002"]
    assert staging[0] == {"add": {"index": "p-tweets-000003", "alias": "p.rebuild-tweets"}}


def test_an_index_from_before_the_aliases_gives_its_name_to_the_alias_in_the_switch() -> None:
    found = {"p-tweets": {"aliases": {}}, "p-cases": {"aliases": {}}, "p-case-events": {}}
    switches, _ = plan_switches("p", found)
    assert switches[0] == Switch("p-tweets", ["p-tweets"], "p-tweets-000001", True)
    assert switches[0].actions() == [
        {"remove_index": {"index": "p-tweets"}},
        {"add": {"index": "p-tweets-000001", "alias": "p-tweets", "is_write_index": True}},
    ]
