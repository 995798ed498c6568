"""Settings of the live X sources (read once at the entry point; see ``plumbing.settings``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator

from services.ingest.xapi.client import (
    ApiCalls,
    Connection,
    RateLimitPolicy,
    Sleep,
    base_url,
)
from services.ingest.xapi.cost import Budget, Prices
from services.ingest.xapi.rules import KeywordConfig
from services.plumbing.clock import Clock
from services.plumbing.settings import ServiceSettings


class XApiSettings(ServiceSettings):
    """Where X is, the tokens, the active-support keywords, where state lives, prices, budget.

    ``X_BEARER_TOKEN`` (or ``TWEETCARE_X_BEARER_TOKEN``) is the app-only token that reads;
    ``TWEETCARE_X_USER_TOKENS`` is JSON ``{"AcmeHelp": "<OAuth 2.0 user access token>"}`` for
    the accounts that post replies and whose DMs are read. ``TWEETCARE_X_KEYWORDS`` is JSON
    ``[{"brand": "acme", "terms": ["Acme", "#AcmeFail"], "lang": "ja"}]``.
    """

    x_api_base_url: str = "https://api.x.com"
    x_bearer_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("X_BEARER_TOKEN", "TWEETCARE_X_BEARER_TOKEN")
    )
    x_user_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    x_keywords: list[KeywordConfig] = Field(default_factory=list)
    x_state_dir: Path = Path("var/ingest")
    x_poll_interval_s: float = Field(default=60.0, gt=0)
    x_page_size: int = Field(default=100, ge=10, le=100)
    x_rate_limit_max_waits: int = Field(default=3, ge=0)
    x_price_post_read: Decimal = Decimal("0.005")
    x_price_user_read: Decimal = Decimal("0.010")
    x_price_dm_event_read: Decimal = Decimal("0.010")
    x_price_post_create: Decimal = Decimal("0.015")
    x_price_dm_create: Decimal = Decimal("0.015")
    x_monthly_read_budget_usd: Decimal = Field(default=Decimal("200"), ge=0)
    x_budget_pause_fraction: Decimal = Field(default=Decimal("0.9"), gt=0, le=1)

    @field_validator("x_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return base_url(value)

    @property
    def cursor_file(self) -> Path:
        return self.x_state_dir / "x_cursors.json"

    @property
    def ledger_file(self) -> Path:
        return self.x_state_dir / "outbox_ledger.jsonl"

    def connection(self, calls: ApiCalls, *, clock: Clock, sleep: Sleep) -> Connection:
        """How every client of the service reaches X (the base URL is carried here)."""
        policy = RateLimitPolicy(max_waits=self.x_rate_limit_max_waits)
        return Connection(self.x_api_base_url, calls, clock=clock, sleep=sleep, rate_limits=policy)

    def prices(self) -> Prices:
        return Prices(
            post_read=self.x_price_post_read, user_read=self.x_price_user_read,
            dm_event_read=self.x_price_dm_event_read, post_create=self.x_price_post_create,
            dm_create=self.x_price_dm_create,
        )  # fmt: skip

    def budget(self) -> Budget:
        return Budget(self.x_monthly_read_budget_usd, self.x_budget_pause_fraction)
