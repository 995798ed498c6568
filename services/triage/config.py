"""Triage configuration: routing rules, VIPs, answering praise, keeping original text.

Read from a YAML file by the entry point (``load_config(text)`` is pure); the service reloads it
when the file changes, without a restart.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.plumbing.contracts.common import Priority
from services.plumbing.contracts.tweets import MatchKind, Topic


class ConfigError(ValueError):
    """The triage configuration is invalid; the message names the field."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Match(_Frozen):
    """Conditions of a routing rule; every condition given must hold (lists: any of)."""

    brand: list[str] | None = None
    handle: list[str] | None = None
    lang: list[str] | None = None
    topic: list[Topic] | None = None
    priority: list[Priority] | None = None
    vip: bool | None = None
    channel: list[str] | None = None
    found_via: list[MatchKind] | None = None


class Route(_Frozen):
    queue: str = Field(min_length=1, max_length=64)
    when: Match = Field(default_factory=Match)


class BrandPolicy(_Frozen):
    """What one brand answers; a field left out takes the configuration's own."""

    answer_topics: frozenset[Topic] | None = None
    answer_praise: bool | None = None


class Review(_Frozen):
    """Uncertain first: a tweet whose complaint decision lies within ``margin`` of its threshold
    (the model's probability, or the rules' score) goes to ``queue`` as a case, whatever triage
    decided, so an agent's 要対応 / 対応しない there teaches the model where it is least sure."""

    queue: str = Field(default="triage-review", min_length=1, max_length=64)
    margin: float = Field(default=0.05, gt=0.0, le=0.5)


class TriageConfig(_Frozen):
    default_queue: str = Field(default="general", min_length=1, max_length=64)
    review: Review | None = None  # None: no review queue (the default)
    routes: list[Route] = Field(default_factory=list)
    vip_handles: frozenset[str] = frozenset()
    answer_praise: bool = True
    # The topics whose complaints, questions and requests need a reply (DMs are always
    # answered); None: every topic. ``brands`` overrides it (and answer_praise) per brand.
    answer_topics: frozenset[Topic] | None = None
    brands: dict[str, BrandPolicy] = Field(default_factory=dict)
    keep_original_text: bool = True
    # 0: a trained model decides sentiment in its languages (better than the rules wherever
    # measured: 5-fold CV on airline_sentiment_train.csv 0.780 against 0.778 at 0.5).
    model_confidence: float = Field(default=0.0, ge=0.0, le=1.0)

    def answers(self, brand: str) -> tuple[frozenset[Topic] | None, bool]:
        """The topics ``brand`` answers (None: all) and whether it answers thanks."""
        own = self.brands.get(brand) or self.brands.get(brand.lower()) or BrandPolicy()
        topics = self.answer_topics if own.answer_topics is None else own.answer_topics
        praise = self.answer_praise if own.answer_praise is None else own.answer_praise
        return topics, praise


def load_config(text: str) -> TriageConfig:
    """Parse a YAML configuration; raises :class:`ConfigError` with the field's path."""
    try:
        raw: Any = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"triage config is not valid YAML: {exc}") from exc
    if isinstance(raw, dict) and "vip_handles" in raw:
        raw["vip_handles"] = frozenset(h.lstrip("@").lower() for h in raw["vip_handles"] or [])
    try:
        return TriageConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"triage config: {where}: {first['msg']}") from exc
