"""How the ``revisit`` processes run: a run ends with the exit code its parts earned, and ``--reset``
deletes the embedded servers' data only, never while another process is using it."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from pathlib import Path

import pytest
from arq.connections import ArqRedis

from revisit import demo
from revisit.services import ServiceUrls
from revisit.settings import Settings
from revisit.supervisor import EmbeddedServerInUse, reset_embedded, run_processes
from tests.support.factories import TEST_SECRET


async def test_a_burst_worker_stops_once_the_queue_is_empty_and_the_run_succeeds(
    db: None, redis: ArqRedis, settings: Settings, service_urls: ServiceUrls
) -> None:
    # given: an empty queue
    # when
    async with asyncio.timeout(60):
        code = await run_processes(settings, service_urls, worker=True, burst=True)
    # then
    assert code == 0


async def test_an_api_that_cannot_take_its_port_fails_the_run_and_says_so(
    db: None,
    redis: ArqRedis,
    settings: Settings,
    service_urls: ServiceUrls,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given: the port is taken
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # when
        async with asyncio.timeout(60):
            code = await run_processes(settings, service_urls, api=("127.0.0.1", port))
    # then
    assert code == 1
    assert f"could not start on 127.0.0.1:{port}" in capsys.readouterr().err


def _embedded_data(data_dir: Path) -> list[Path]:
    (data_dir / "postgres").mkdir()
    (data_dir / "postgres" / "PG_VERSION").write_text("18\n")
    (data_dir / "redis").mkdir()
    (data_dir / "redis" / "revisit.rdb").write_bytes(b"REDIS")
    demo.key_file(data_dir).write_text("rvk_x_y")
    return [data_dir / "postgres", data_dir / "redis", demo.key_file(data_dir)]


def test_reset_deletes_the_embedded_servers_data_and_the_demo_key_only(tmp_path: Path) -> None:
    # given
    embedded = _embedded_data(tmp_path)
    (tmp_path / "secret_key").write_text("kept")
    settings = Settings(data_dir=tmp_path, database_url=None, redis_url=None, secret_key=TEST_SECRET)
    # when
    reset_embedded(settings)
    # then
    assert [path for path in embedded if path.exists()] == []
    assert (tmp_path / "secret_key").read_text() == "kept"


def test_reset_deletes_nothing_when_both_services_are_external(tmp_path: Path) -> None:
    # given
    embedded = _embedded_data(tmp_path)
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgres://db.internal/revisit",
        redis_url="redis://redis.internal/0",
        secret_key=TEST_SECRET,
    )
    # when
    reset_embedded(settings)
    # then
    assert all(path.exists() for path in embedded)


def test_reset_refuses_while_another_process_uses_the_embedded_postgres(tmp_path: Path) -> None:
    # given: a live "postmaster" and another live process attached to it
    embedded = _embedded_data(tmp_path)
    other = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "postgres" / "postmaster.pid").write_text(f"{other.pid}\n{tmp_path / 'postgres'}\n")
        (tmp_path / "postgres" / ".handle_pids.json").write_text(json.dumps([other.pid]))
        settings = Settings(data_dir=tmp_path, database_url=None, redis_url=None, secret_key=TEST_SECRET)
        # when / then
        with pytest.raises(EmbeddedServerInUse, match="is running; stop other revisit processes"):
            reset_embedded(settings)
        assert all(path.exists() for path in embedded)
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
