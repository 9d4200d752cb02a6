"""Tortoise ORM configuration, schema migrations and the connection lifecycle."""

from __future__ import annotations

import os
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations

MODEL_MODULES = [
    "domain.tenancy.models",
    "domain.customers.models",
    "domain.commerce.models",
    "domain.events.models",
    "domain.incentives.models",
    "domain.automation.models",
    "domain.messaging.models",
    "domain.intelligence.models",
    "domain.segments.models",
    "domain.coupons.models",
    "domain.audit.models",
    "domain.billing.models",
    "domain.payments.models",
    "domain.campaigns.models",
]


def tortoise_url(database_url: str) -> str:
    """Tortoise speaks asyncpg; accept the usual ``postgres://`` and ``postgresql://`` spellings."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "asyncpg://" + database_url[len(prefix) :]
    return database_url


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration for one database: every context's models live in the app ``revisit``."""
    return {
        "connections": {"default": tortoise_url(database_url)},
        "apps": {
            "revisit": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init(database_url: str) -> None:
    """Open the connection pool for this process."""
    await Tortoise.init(config=tortoise_config(database_url))


async def close() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply every migration in ``migrations/`` that the database has not seen yet."""
    await run_migrations(config=tortoise_config(database_url))


# For `tortoise makemigrations` (see [tool.tortoise] in pyproject.toml). Migrations are computed from the
# model state and the migration files, so an unreachable database URL is fine here.
TORTOISE_ORM = tortoise_config(
    os.environ.get("REVISIT_DATABASE_URL", "postgres://postgres@localhost/revisit")
)
