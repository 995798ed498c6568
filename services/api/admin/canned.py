"""Canned replies: written by supervisors, read by agents, kept in ``<prefix>-canned``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.api.cases.replies import VARIABLES, render


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
        """Raise :class:`~services.api.cases.replies.ReplyError` when the text names an
        unknown variable."""
        render(self.text, dict.fromkeys(VARIABLES, "x"))
