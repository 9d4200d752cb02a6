"""Runtime settings, read from environment variables prefixed ``REVISIT_``."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
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

    sms_provider: Literal["console", "kavenegar"] = "console"
    kavenegar_api_key: str = ""
    kavenegar_base_url: str = "https://api.kavenegar.com"
    kavenegar_sender: str = ""
    sms_timeout_seconds: float = 10.0

    log_level: str = "INFO"
    log_json: bool = True

    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 4000
    page_size_cap: int = 100

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
