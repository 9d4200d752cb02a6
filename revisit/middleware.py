"""Per-request id, an access log line, and a JSON answer for anything that fails unexpectedly.

Plain ASGI middleware, the outermost layer of the app: whatever goes wrong below it, an HTTP client
gets ``500 {"error": {"code": "INTERNAL", "message": "Internal error.", "request_id": …}}`` with the
``X-Request-ID`` header, and the log gets the traceback under the same request id.
"""

from __future__ import annotations

import logging
import time
import uuid
from http import HTTPStatus

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("revisit.access")
error_log = logging.getLogger("revisit.errors")


def internal_error(request_id: str) -> JSONResponse:
    """What a client sees when something failed that it could not have caused or fixed."""
    return JSONResponse(
        {"error": {"code": "INTERNAL", "message": "Internal error.", "request_id": request_id}},
        status_code=500,
    )


_STATUS_CODES = {status.value: status.name for status in HTTPStatus}


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, a method the route does not take) as JSON, not text."""
    assert isinstance(exc, HTTPException)
    code = _STATUS_CODES.get(exc.status_code, "ERROR")
    return JSONResponse(
        {"error": {"code": code, "message": exc.detail}}, status_code=exc.status_code, headers=exc.headers
    )


HTTP_ERROR_HANDLERS = {HTTPException: http_error}
"""``exception_handlers`` for the Starlette app."""


class RequestContext:
    """Gives every HTTP request an id (honouring ``X-Request-ID``), binds it to logs and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = _request_id(headers.get(b"x-request-id", b""))
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                if scope["type"] != "http" or status:
                    raise  # a websocket, or an answer already under way: nothing more can be sent
                error_log.exception("unhandled error in %s %s", scope["method"], scope["path"])
                await internal_error(request_id)(scope, receive, send_with_id)
            finally:
                if scope["type"] == "http":
                    access_log.info(
                        "%s %s %s",
                        scope["method"],
                        scope["path"],
                        status,
                        extra={"duration_ms": round((time.perf_counter() - started) * 1000, 1)},
                    )


def _request_id(header: bytes) -> str:
    """The client's ``X-Request-ID`` when it is a short printable token, else a fresh one."""
    given = header.decode("latin-1")[:64]
    if given and given.isprintable() and given.isascii():
        return given
    return uuid.uuid4().hex
