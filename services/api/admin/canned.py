"""Canned replies: written by supervisors, read by agents, kept in ``<prefix>-canned``.

A template is checked when it is saved (:func:`check_template`): only ``{variable}`` with a name
from :data:`~services.api.cases.replies.VARIABLES`, no format spec (``{brand:>20000000}`` would
build 20 MB at every use), no conversion (``!r``), no attribute or index, no positional ``{}``,
and braces that pair up (``{{`` and ``}}`` are literal braces).
"""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.api.cases.replies import VARIABLES
from services.api.errors import InvalidInputError


def check_template(text: str) -> None:
    """Raise :class:`InvalidInputError` (``invalid_template``, or ``unknown_variable`` naming
    the names) unless ``text`` is literal text and plain ``{variable}`` placeholders."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InvalidInputError(
            "invalid_template", f"the template's braces do not pair up ({exc}); write {{{{ for {{"
        ) from exc
    unknown: list[str] = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name == "" or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (
                f":{spec}" if spec else "") + "}"  # fmt: skip
            raise InvalidInputError(
                "invalid_template",
                f"{shown}: a placeholder is a variable's name in braces, nothing else",
            )
        if name not in VARIABLES:
            unknown.append(name)
    if unknown:
        names, known = ", ".join(sorted(set(unknown))), ", ".join(VARIABLES)
        raise InvalidInputError("unknown_variable", f"unknown variable(s): {names}; known: {known}")


class CannedIn(BaseModel):
    """A canned reply as written by a supervisor; ``{variables}`` from :data:`VARIABLES`."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    lang: Literal["en", "ja"] | str = Field(
        min_length=2, max_length=8, pattern=r"^[a-z]{2}(-[A-Za-z]+)?$"
    )
    text: str = Field(min_length=1, max_length=1_000)
    queue: str | None = Field(default=None, max_length=64)

    def check(self) -> None:
        """Raise :class:`InvalidInputError` when the text is not a template we can fill
        (:func:`check_template`)."""
        check_template(self.text)
