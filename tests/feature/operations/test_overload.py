"""Overload is refused at once with 503 and Retry-After; work for a client that left is stopped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.types import Message, Receive, Scope, Send

from revisit.overload import InFlightLimit, StopWhenClientLeaves
from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, make_owner, make_store_key


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """One request in flight at most, and no wait for a place."""
    return Settings(
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        log_json=False,
        max_requests_in_flight=1,
        admission_wait_seconds=0,
    )


class HeldBody:
    """A request body that starts, then waits until released: its request stays in flight meanwhile."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def chunks(self) -> AsyncIterator[bytes]:
        self.started.set()
        await self.release.wait()
        yield b'{"customer": {"external_id": "7"}, "cart_total": "1000", "currency": "IRT"}'


async def test_a_request_over_the_limit_gets_503_with_retry_after(client: ApiClient) -> None:
    """With the limit at 1 and a quote held in flight, the next quote is 503 OVERLOADED with Retry-After;
    a health check still answers, and once the held request ends, requests are admitted again."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    body = HeldBody()
    held = asyncio.create_task(
        client.http.post("/rest/v1/credit/quote", content=body.chunks(), headers=headers)
    )
    await body.started.wait()
    # when
    refused = await client.http.post("/rest/v1/credit/quote", json={}, headers=headers)
    health = await client.http.get("/healthz")
    body.release.set()
    first = await held
    after = await client.http.post(
        "/rest/v1/credit/quote",
        json={"customer": {"external_id": "7"}, "cart_total": "1000", "currency": "IRT"},
        headers=headers,
    )
    # then
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["code"] == "OVERLOADED"
    assert health.status_code == 200
    assert first.status_code == after.status_code == 200


async def test_a_request_waits_for_a_place_that_frees_up_within_the_wait() -> None:
    """Given a wait, a request over the limit is admitted when the one in flight ends meanwhile."""
    # given
    leave = asyncio.Event()
    answered: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/slow":
            await leave.wait()
        answered.append(scope["path"])

    limit = InFlightLimit(app, limit=1, wait_seconds=30)
    first = asyncio.create_task(limit({"type": "http", "path": "/slow"}, _never, _ignore))
    await asyncio.sleep(0)
    second = asyncio.create_task(limit({"type": "http", "path": "/next"}, _never, _ignore))
    await asyncio.sleep(0)
    # when
    leave.set()
    await asyncio.gather(first, second)
    # then
    assert answered == ["/slow", "/next"]


async def test_work_stops_when_the_client_disconnects() -> None:
    """After the body is read, a disconnect cancels the app's work; nothing is answered for no one."""
    # given
    cancelled = asyncio.Event()
    sent: list[Message] = []
    messages = [{"type": "http.request", "body": b"{}", "more_body": False}, {"type": "http.disconnect"}]
    working = asyncio.Event()
    client_gone = asyncio.Event()

    async def receive() -> Message:
        message = messages.pop(0)
        if message["type"] == "http.disconnect":
            await client_gone.wait()
        return message

    async def send(message: Message) -> None:
        sent.append(message)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        working.set()
        try:
            await asyncio.Event().wait()  # a look-up that would take long
        except asyncio.CancelledError:
            cancelled.set()
            raise

    scope: Scope = {"type": "http", "path": "/rest/v1/credit/quote"}
    serving = asyncio.create_task(StopWhenClientLeaves(app)(scope, receive, send))
    await working.wait()
    # when
    client_gone.set()
    await serving
    # then
    assert cancelled.is_set()
    assert sent == []
    assert scope["state"]["client_left"] is True


async def test_an_answered_request_is_not_cancelled() -> None:
    """A request that answers before any disconnect runs to its end and its answer goes out."""
    # given
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    # when
    await StopWhenClientLeaves(app)({"type": "http", "path": "/x"}, receive, send)
    # then
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]


async def _never() -> Message:
    await asyncio.Event().wait()
    raise AssertionError


async def _ignore(message: Message) -> None:
    return None
