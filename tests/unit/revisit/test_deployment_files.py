"""The Dockerfile and docker-compose.yml describe the deployment the operations guide documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_the_api_the_worker_and_their_services() -> None:
    services = _compose()["services"]
    assert {"api", "worker", "migrate", "postgres", "redis"} <= set(services)
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert services["api"]["command"] == ["revisit", "api"]
    assert services["worker"]["command"] == ["revisit", "worker"]
    assert services["migrate"]["command"] == ["revisit", "migrate"]


def test_the_api_and_the_worker_share_one_configuration() -> None:
    services = _compose()["services"]
    for name in ("api", "worker", "migrate"):
        environment = services[name]["environment"]
        assert environment["REVISIT_DATABASE_URL"] == "postgres://revisit:revisit@postgres:5432/revisit"
        assert environment["REVISIT_REDIS_URL"] == "redis://redis:6379/0"
        assert "REVISIT_SECRET_KEY" in environment
        assert {"REVISIT_KAVENEGAR_API_KEY", "REVISIT_KAVENEGAR_SENDER", "REVISIT_SMS_PROVIDER"} <= set(
            environment
        )


def test_the_api_and_the_worker_wait_for_healthy_services_and_migrations() -> None:
    services = _compose()["services"]
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("postgres", "redis", "api"):
        assert services[name]["healthcheck"]["test"]


def test_the_image_runs_the_api_as_a_non_root_user_with_a_health_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "\nUSER revisit\n" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert dockerfile.rstrip().endswith('CMD ["revisit", "api"]')
