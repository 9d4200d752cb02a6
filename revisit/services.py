"""Where PostgreSQL and Redis are: the configured URLs, or embedded servers started on demand."""

from __future__ import annotations

from dataclasses import dataclass

from revisit import embedded
from revisit.settings import Settings


@dataclass(frozen=True)
class ServiceUrls:
    database_url: str
    redis_url: str
    embedded_database: bool
    embedded_redis: bool


def resolve(settings: Settings) -> ServiceUrls:
    """Return the URLs to use, starting embedded servers for whichever is not configured."""
    database_url = settings.database_url or embedded.postgres_url(settings.data_dir)
    redis_url = settings.redis_url or embedded.redis_url(settings.data_dir)
    return ServiceUrls(
        database_url=database_url,
        redis_url=redis_url,
        embedded_database=settings.database_url is None,
        embedded_redis=settings.redis_url is None,
    )
