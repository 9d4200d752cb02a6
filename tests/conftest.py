"""Test services: a real PostgreSQL and Redis (embedded unless REVISIT_TEST_DATABASE_URL / _REDIS_URL say
otherwise), migrated once per session; every test starts from empty tables and an empty Redis."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from starlette.applications import Starlette
from tortoise import Tortoise

from jobs.queue import QUEUE_NAME
from revisit import database, embedded
from revisit.app import create_app
from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET

TEST_DATA_DIR = Path(__file__).resolve().parent.parent / ".revisit" / "test"


def _urls() -> ServiceUrls:
    database_url = os.environ.get("REVISIT_TEST_DATABASE_URL")
    redis_url = os.environ.get("REVISIT_TEST_REDIS_URL")
    return ServiceUrls(
        database_url=database_url or _fresh_embedded_database(),
        redis_url=redis_url or embedded.redis_url(TEST_DATA_DIR),
        embedded_database=database_url is None,
        embedded_redis=redis_url is None,
    )


def _fresh_embedded_database() -> str:
    """The embedded server's test database, recreated so every session starts from the migrations."""
    embedded.postgres_url(TEST_DATA_DIR, database="postgres")
    server = embedded.postgres_server(TEST_DATA_DIR)
    server.psql('DROP DATABASE IF EXISTS "revisit_test" WITH (FORCE);')
    return embedded.postgres_url(TEST_DATA_DIR, database="revisit_test")


@pytest.fixture(scope="session")
def service_urls() -> ServiceUrls:
    return _urls()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def migrated_database(service_urls: ServiceUrls) -> AsyncIterator[str]:
    """Migrate the test database once and keep the ORM open for the session."""
    await database.migrate(service_urls.database_url)
    await database.close()
    await database.init(service_urls.database_url)
    yield service_urls.database_url
    await database.close()


@pytest_asyncio.fixture(loop_scope="session")
async def db(migrated_database: str) -> AsyncIterator[None]:
    """Empty tables for this test."""
    connection = Tortoise.get_connection("default")
    tables = [model._meta.db_table for model in Tortoise.apps["revisit"].values()]
    await connection.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE;")
    yield


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest_asyncio.fixture(loop_scope="session")
async def redis(service_urls: ServiceUrls) -> AsyncIterator[ArqRedis]:
    """An empty Redis for this test (the same one the app and worker use)."""
    pool = await create_pool(RedisSettings.from_dsn(service_urls.redis_url), default_queue_name=QUEUE_NAME)
    await pool.flushdb()
    yield pool
    await pool.aclose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key=TEST_SECRET, log_json=False)


@pytest_asyncio.fixture(loop_scope="session")
async def app(
    db: None, redis: ArqRedis, settings: Settings, service_urls: ServiceUrls
) -> AsyncIterator[Starlette]:
    """The real ASGI app, started (lifespan entered) over the test database and Redis."""
    application = create_app(settings, service_urls, manage_database=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: Starlette) -> AsyncIterator[ApiClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://revisit.test"
    ) as http:
        yield ApiClient(http)
