"""Which topic settings provision changes on a topic that exists."""

from __future__ import annotations

from services.localinfra.provision import config_changes, topic_config


def test_only_the_settings_that_differ_are_changed() -> None:
    wanted = topic_config("cases.events")
    assert config_changes(wanted, {"cleanup.policy": "delete", "retention.ms": "604800000"}) == {
        "retention.ms": "-1"
    }
    assert config_changes(wanted, {"cleanup.policy": "delete", "retention.ms": "-1"}) == {}
    assert config_changes(topic_config("sla.cases"), {"cleanup.policy": "delete"}) == {
        "cleanup.policy": "compact"
    }
