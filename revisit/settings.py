"""Runtime settings, read from environment variables prefixed ``REVISIT_``."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

import limits
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything Revisit can be told from the outside. Unset URLs mean "start embedded servers"."""

    model_config = SettingsConfigDict(env_prefix="REVISIT_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, description="PostgreSQL URL (postgres://…). Unset: an embedded server under data_dir."
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL (redis://… or unix://…). Unset: an embedded server under data_dir.",
    )
    data_dir: Path = Field(default=Path(".revisit"), description="Where embedded servers keep their data.")
    secret_key: str | None = Field(
        default=None, description="Signs access tokens. Unset: generated once and kept in data_dir."
    )
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(default=None, description="Base URL printed for humans; derived if unset.")

    sms_provider: Literal["console", "kavenegar", "smsir"] = Field(
        default="console",
        description="The platform line: console (development), kavenegar or smsir; stores may use their own.",
    )
    kavenegar_api_key: str = ""
    kavenegar_base_url: str = "https://api.kavenegar.com"
    kavenegar_sender: str = Field(
        default="", description="The platform's Kavenegar line; also polled for replies."
    )
    smsir_api_key: str = ""
    smsir_base_url: str = "https://api.sms.ir"
    smsir_line: str = Field(default="", description="The platform's sms.ir line (sms.ir needs one to send).")
    sms_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    sms_callback_secret: str | None = Field(
        default=None,
        min_length=16,
        description=(
            "Signs the SMS providers' callback URLs (delivery reports, inbound SMS). Unset: derived from the "
            "secret key. Changing it changes every callback URL."
        ),
    )
    sms_part_price: int = Field(
        default=1_500,
        ge=0,
        description="What one SMS part costs the store, in rials (IRR), as segment previews price it.",
    )

    payment_gateway: Literal["auto", "zarinpal", "stripe"] = Field(
        default="auto",
        description=(
            "How stores top up their wallet: auto (Zarinpal for stores in Iran, Stripe Checkout elsewhere), "
            "or one gateway for every store."
        ),
    )
    zarinpal_merchant_id: str = Field(default="", description="The 36-character merchant id of Zarinpal.")
    zarinpal_base_url: str = Field(
        default="https://payment.zarinpal.com",
        description="Zarinpal's address, with its API and StartPay (https://sandbox.zarinpal.com to test).",
    )
    stripe_secret_key: str = Field(default="", description="Stripe's secret API key (sk_live_… / sk_test_…).")
    stripe_webhook_secret: str = Field(
        default="", description="The signing secret (whsec_…) of the Stripe webhook endpoint of top-ups."
    )
    stripe_api_base: str = Field(default="https://api.stripe.com", description="Stripe's API address.")
    stripe_rials_per_minor_unit: dict[str, int] = Field(
        default_factory=dict,
        description=(
            'What one minor unit of each store currency buys in the wallet, in rials, e.g. {"EUR": 11000} '
            "(a cent). A store whose currency is not listed cannot top up through Stripe."
        ),
    )
    payment_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    top_up_min_amount: int = Field(default=100_000, ge=1, description="The smallest top-up, in rials (IRR).")
    top_up_max_amount: int = Field(
        default=1_000_000_000, ge=1, description="The largest top-up, in rials (IRR)."
    )
    payment_return_url: str | None = Field(
        default=None,
        description=(
            "Where the payer's browser goes after paying (?top_up=<id>&status=paid|pending|failed|cancelled "
            "is added). Unset: Revisit answers with its own page."
        ),
    )
    platform_name: str = Field(default="Revisit", description="The platform's name on receipts and invoices.")

    log_level: str = "INFO"
    log_json: bool = True

    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 4000
    graphql_max_body_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1024,
        description="The largest /graphql request body, in bytes; larger ones are answered 413 unread.",
    )
    page_size_cap: int = 100
    graphql_introspection: Literal["everyone", "authenticated", "nobody"] = Field(
        default="authenticated",
        description=(
            "Who may run introspection (__schema, __type): everyone, signed-in callers only, or nobody. "
            "`revisit dev` uses everyone unless this is set. Federation's _service { sdl } is not "
            "introspection and always answers."
        ),
    )
    graphql_max_introspection_depth: int = Field(
        default=15,
        ge=1,
        description="Deepest selection under __schema / __type (GraphiQL's own query is 13 deep).",
    )

    max_requests_in_flight: int = Field(
        default=16,
        ge=1,
        description=(
            "HTTP requests one API process works on at once. More wait at most admission_wait_seconds "
            "for a place, then get 503 OVERLOADED with Retry-After. Health checks and /metrics are exempt."
        ),
    )
    admission_wait_seconds: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="How long a request over max_requests_in_flight may wait for a place before its 503.",
    )
    metrics_token: str | None = Field(
        default=None,
        description=(
            "When set, GET /metrics needs Authorization: Bearer <this token>; unset, /metrics is open to "
            "whoever reaches the API's address."
        ),
    )
    worker_metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        description=(
            "Port on which each worker serves its own /metrics (jobs, processed events, SMS), on `host`; "
            "0 serves none. Unauthenticated: keep it on a private address."
        ),
    )

    login_limit_per_account: str = Field(
        default="10 per 15 minutes",
        description="Sign-in attempts for one e-mail, from any address; a success resets it to zero.",
    )
    login_limit_per_address: str = Field(
        default="30 per 15 minutes",
        description="Sign-in attempts from one client address, for any e-mail, successes included.",
    )
    password_min_score: int = Field(
        default=3, ge=0, le=4, description="The zxcvbn score (0-4) a new password must reach."
    )

    @field_validator("login_limit_per_account", "login_limit_per_address")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        """A rate in the ``limits`` notation (``10 per 15 minutes``), refused at start-up if malformed."""
        try:
            limits.parse(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit such as '10 per 15 minutes': {value!r}") from exc
        return value

    def resolved_secret_key(self) -> str:
        """The signing key: the configured one, or one generated on first use and kept in ``data_dir``."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
