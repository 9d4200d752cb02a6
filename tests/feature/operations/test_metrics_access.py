"""Who may read /metrics: anyone reaching the API by default, only the token's bearer once one is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key=TEST_SECRET, log_json=False, metrics_token="scrape-me")


async def test_with_a_token_set_only_its_bearer_may_scrape(client: ApiClient) -> None:
    """REVISIT_METRICS_TOKEN set: no token or a wrong one is 401, the right one gets the metrics."""
    # when
    missing = await client.http.get("/metrics")
    wrong = await client.http.get("/metrics", headers={"Authorization": "Bearer nope"})
    right = await client.http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    # then
    assert missing.status_code == wrong.status_code == 401
    assert right.status_code == 200
    assert "revisit_http_requests_total" in right.text
