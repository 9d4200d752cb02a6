"""The reference graphql-transport-ws client, npm's ``graphql-ws`` (over ``ws``), in a node process that
a test drives (``graphql_ws_client_node/client.mjs``)::

    async with GraphQLWsClient.connect(url, connection_params={"Authorization": f"Bearer {token}"}) as ws:
        await ws.event("connected")
        await ws.subscribe("m", MONITOR)
        payload = await ws.next_payload("m")

Every event the client reports is kept in order; :meth:`event` takes the first one not yet taken that
matches, waiting for it up to a deadline (a bound on a broken system, not a timing assertion).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent / "graphql_ws_client_node"
SCRIPT = HERE / "client.mjs"
READY = shutil.which("node") is not None and (HERE / "node_modules" / "graphql-ws").exists()

# CI sets REVISIT_REQUIRE_ALL_TESTS so a missing tool fails the run instead of skipping it.
requires_node_client = pytest.mark.skipif(
    not READY and not os.environ.get("REVISIT_REQUIRE_ALL_TESTS"),
    reason="needs Node.js and `npm ci --prefix tests/support/graphql_ws_client_node` (CI installs both)",
)

Event = dict[str, Any]


def ws_url(base_url: str) -> str:
    """The GraphQL websocket address of a server at ``base_url`` (``http://host:port``)."""
    return base_url.replace("http://", "ws://", 1) + "/graphql"


class GraphQLWsClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events: list[Event] = []
        self._taken: set[int] = set()
        self._arrived = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls,
        url: str,
        *,
        connection_params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> AsyncIterator[GraphQLWsClient]:
        """A client connecting to ``url`` (``ws://…/graphql``) for the block's duration."""
        process = await asyncio.create_subprocess_exec(
            "node",
            str(SCRIPT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        client = cls(process)
        try:
            await client._send(
                {"op": "connect", "url": url, "connectionParams": connection_params, "headers": headers}
            )
            yield client
        finally:
            await client.close()

    async def subscribe(self, id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self._send({"op": "subscribe", "id": id, "query": query, "variables": variables or {}})

    async def complete(self, id: str) -> None:
        """Stop the subscription ``id`` (the client sends graphql-transport-ws's ``complete``)."""
        await self._send({"op": "complete", "id": id})

    async def event(
        self,
        kind: str | tuple[str, ...],
        *,
        id: str | None = None,
        where: Callable[[Event], bool] | None = None,
        within: float = 30,
    ) -> Event:
        """The first event of ``kind`` (for subscription ``id``, matching ``where``) not yet taken."""
        kinds = (kind,) if isinstance(kind, str) else kind

        def match(event: Event) -> bool:
            return (
                event["event"] in kinds
                and (id is None or event.get("id") == id)
                and (where is None or where(event))
            )

        deadline = time.monotonic() + within
        async with self._arrived:
            while True:
                for index, event in enumerate(self.events):
                    if index not in self._taken and match(event):
                        self._taken.add(index)
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._reader.done():
                    raise AssertionError(
                        f"no {kind!r} event{f' for {id}' if id else ''} within {within:.0f} s; "
                        f"the client saw: {self.events}{await self._stderr()}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout=remaining)

    async def next_payload(
        self, id: str, *, where: Callable[[dict[str, Any]], bool] | None = None, within: float = 30
    ) -> dict[str, Any]:
        """The next ``next`` payload of subscription ``id`` (matching ``where``), its data checked."""
        event = await self.event(
            "next", id=id, where=(lambda e: where(e["payload"])) if where else None, within=within
        )
        payload: dict[str, Any] = event["payload"]
        return payload

    async def errors(self, id: str, *, within: float = 30) -> list[dict[str, Any]]:
        """How subscription ``id`` failed: an ``error`` message (refused before it ran: validation,
        permissions) or a ``next`` carrying errors (its resolver refused, and then it completed)."""
        event = await self.event(
            ("error", "next"),
            id=id,
            where=lambda e: e["event"] == "error" or "errors" in e["payload"],
            within=within,
        )
        errors: list[dict[str, Any]] = (
            event["errors"] if event["event"] == "error" else event["payload"]["errors"]
        )
        return errors

    def seen(self, kind: str, id: str | None = None) -> list[Event]:
        """Every event of ``kind`` (for ``id``) the client has reported so far, taken or not."""
        return [e for e in self.events if e["event"] == kind and (id is None or e.get("id") == id)]

    async def close(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                await self._send({"op": "close"})
            try:
                await asyncio.wait_for(self.process.wait(), timeout=10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def _send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            async with self._arrived:
                self.events.append(json.loads(line))
                self._arrived.notify_all()
        async with self._arrived:
            self._arrived.notify_all()

    async def _stderr(self) -> str:
        if self.process.returncode is None or self.process.stderr is None:
            return ""
        return "\nnode said: " + (await self.process.stderr.read()).decode(errors="replace")[-2000:]
