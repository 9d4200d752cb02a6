"""Overload: admit a bounded number of requests at once, and stop working for clients that left.

Without a bound, a burst beyond what one process can serve queues up inside it: every request waits
behind all the others, latencies grow until clients time out, memory grows with the queue, and the
process keeps working on answers no one will read. So:

* :class:`InFlightLimit` lets at most ``max_requests_in_flight`` HTTP requests be worked on at once. A
  request over the limit waits at most ``admission_wait_seconds`` for a place, then is answered
  ``503 {"error": {"code": "OVERLOADED", …}}`` with ``Retry-After`` at once. Health checks and
  ``/metrics`` are never refused: they are how an operator sees the overload.
* :class:`StopWhenClientLeaves` cancels a request's work as soon as its client disconnects (ASGI
  ``http.disconnect``) before the answer was sent, so an abandoned request frees its place and its
  database connection instead of finishing for no one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EXEMPT_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})
RETRY_AFTER_SECONDS: Final = 1
OVERLOADED_BODY: Final = json.dumps(
    {"error": {"code": "OVERLOADED", "message": "Too many requests at once; retry shortly."}}
).encode()


class InFlightLimit:
    """At most ``limit`` HTTP requests in the app at once; others wait ``wait_seconds`` at most, then 503."""

    def __init__(self, app: ASGIApp, *, limit: int, wait_seconds: float = 0.0) -> None:
        if limit < 1:
            raise ValueError("The in-flight limit must be at least 1.")
        self.app = app
        self.limit = limit
        self.wait_seconds = wait_seconds
        self._places = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if not await self._admit():
            await _refuse(send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._places.release()

    async def _admit(self) -> bool:
        if not self._places.locked():
            await self._places.acquire()  # a free place: taken without waiting
            return True
        if self.wait_seconds <= 0:
            return False
        try:
            await asyncio.wait_for(self._places.acquire(), timeout=self.wait_seconds)
        except TimeoutError:
            return False
        return True


async def _refuse(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(OVERLOADED_BODY)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": OVERLOADED_BODY})


class StopWhenClientLeaves:
    """Cancels the work of an HTTP request whose client disconnects before its answer is complete.

    Once the app has read the whole body, this middleware alone listens on ``receive`` (the only message
    left to come is ``http.disconnect``); the app's own later ``receive()`` calls wait for that too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_read = asyncio.Event()
        gone = asyncio.Event()
        answered = False

        async def app_receive() -> Message:
            if body_read.is_set():
                await gone.wait()
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
            elif not message.get("more_body", False):
                body_read.set()
            return message

        async def app_send(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True
            await send(message)

        async def listen() -> None:
            await body_read.wait()
            if (await receive())["type"] == "http.disconnect":  # the only message left to come
                gone.set()

        async def serve() -> None:
            await self.app(scope, app_receive, app_send)

        work = asyncio.create_task(serve())
        listener = asyncio.create_task(listen())
        try:
            await asyncio.wait({work, listener}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done() and gone.is_set() and not answered:
                scope.setdefault("state", {})["client_left"] = True
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
                return
            await work  # its answer, or its exception for the error handling outside
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            if not work.done():
                work.cancel()
