"""CI fails when a model changes without a migration: the check `revisit check-migrations` runs."""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

import pytest
from typer.testing import CliRunner

from revisit.cli import app, migration_changes


def _changes(migrations_module: str = "migrations") -> list[str]:
    # A thread of its own: its own event loop and a Tortoise context apart from the tests' database.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, migration_changes(migrations_module)).result()


def test_the_migrations_cover_every_model() -> None:
    """If this fails, run `uv run tortoise makemigrations` and commit the new migration."""
    assert _changes() == []


def test_a_model_no_migration_covers_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given: a migrations package with no migrations at all
    package = tmp_path / "no_migrations_yet"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    # when
    changes = _changes("no_migrations_yet")
    # then: every table would have to be created
    assert any("tenants" in change or "Tenant" in change for change in changes), changes


def test_the_command_exits_zero_when_up_to_date() -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(CliRunner().invoke, app, ["check-migrations"]).result()
    assert result.exit_code == 0, result.output
    assert "match the models" in result.output
