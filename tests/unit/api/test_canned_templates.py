"""A canned reply's template is checked when saved: plain ``{variable}`` placeholders only."""

from __future__ import annotations

import pytest

from services.api.admin.canned import CannedIn, check_template
from services.api.errors import InvalidInputError


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{brand:>20000000}", "invalid_template"),  # would build 20 MB at every use
        ("{brand!r}", "invalid_template"),
        ("{}", "invalid_template"),
        ("{0}", "unknown_variable"),
        ("oops {", "invalid_template"),
        ("oops }", "invalid_template"),
        ("{brand:{case_id}}", "invalid_template"),
        ("{brand.__class__}", "unknown_variable"),
        ("{brand[0]}", "unknown_variable"),
        ("Hi {nope}", "unknown_variable"),
    ],
)
def test_templates_we_cannot_fill_are_refused_with_a_stable_code(text: str, code: str) -> None:
    body = CannedIn(name="x", lang="en", text=text)
    with pytest.raises(InvalidInputError) as refused:
        body.check()
    assert refused.value.code == code


@pytest.mark.parametrize(
    "text",
    [
        "Sorry {customer_name}, we are on it.",
        "{customer_handle} {agent_name} {brand} {case_id}",
        "Literal braces {{like this}} stay",
        "No variables at all",
    ],
)
def test_plain_templates_pass(text: str) -> None:
    check_template(text)  # raises when refused
