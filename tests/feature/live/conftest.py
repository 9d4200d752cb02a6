"""Live subscriptions are tested against real ``revisit api`` processes with the reference client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from revisit.services import ServiceUrls
from tests.support.factories import TEST_SECRET
from tests.support.live_revisit import RevisitServer


@pytest.fixture(scope="module")
def live_server(
    migrated_database: str, service_urls: ServiceUrls, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RevisitServer]:
    """One ``revisit api`` for the module's tests (each test still starts from empty tables)."""
    with RevisitServer(
        service_urls, secret_key=TEST_SECRET, log_dir=tmp_path_factory.mktemp("live-api")
    ) as server:
        server.start()
        yield server
