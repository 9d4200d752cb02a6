"""What every REST-compat route shares: error answers, reading bodies, running a fixed document.

A route's document never changes; the schema's document cache (:mod:`graph.core.documents`) parses and
validates it once, with every rule applied. What depends on the request still runs every time:
authentication, permissions, the argument guard, error masking.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry import Schema

from graph.core.context import Context
from graph.core.inputs import JsonRejected, load_json, read_capped
from graph.view import build_context

MAX_BODY_BYTES = 5 * 1024 * 1024

# Top-level errors a client can act on, and their HTTP statuses; anything else is a 500.
CLIENT_ERRORS = {
    "INVALID": 422,
    "TENANT_REQUIRED": 422,
    "NOT_FOUND": 404,
    "INVALID_PAGE_SIZE": 422,
    "INVALID_CURSOR": 422,
}


def problem(
    status: int, code: str, message: str, *, field: str | None = None, request_id: str | None = None
) -> JSONResponse:
    """The error answer of every REST route: ``{"error": {"code", "message", "field"?, "request_id"?}}``."""
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    if request_id:
        error["request_id"] = request_id
    return JSONResponse({"error": error}, status_code=status)


async def read_body(request: Request) -> tuple[bytes, Response | None]:
    """The raw body, or a 413 answer as soon as it is known to be larger than ``MAX_BODY_BYTES``."""
    body = await read_capped(request, limit=MAX_BODY_BYTES)
    if body is None:
        return b"", problem(413, "TOO_LARGE", f"The body may be at most {MAX_BODY_BYTES} bytes.")
    return body, None


def parse_json(body: bytes) -> tuple[Any, Response | None]:
    """``body`` parsed as JSON, or the 400 answer (``INVALID_JSON``, or ``TOO_DEEP`` past 64 levels)."""
    try:
        return load_json(body), None
    except JsonRejected as exc:
        return None, problem(400, exc.code, exc.reason)


async def read_json(request: Request) -> tuple[Any, Response | None]:
    """The body parsed as JSON, or the 413/400 answer."""
    body, failure = await read_body(request)
    if failure:
        return None, failure
    return parse_json(body)


async def execute(
    schema: Schema,
    document: str,
    variables: dict[str, Any],
    context: Context,
    *,
    forbidden: str = "This key may not do that.",
) -> tuple[Any, Response | None]:
    """Execute ``document``; return its data, or the HTTP answer for its top-level errors."""
    result = await schema.execute(document, variable_values=variables, context_value=context)
    if not result.errors:
        return result.data, None
    codes = [(error.extensions or {}).get("code") for error in result.errors]
    if "UNAUTHENTICATED" in codes:
        return None, problem(401, "UNAUTHENTICATED", "Send Authorization: Bearer <store key>.")
    if "FORBIDDEN" in codes:
        return None, problem(403, "FORBIDDEN", forbidden)
    for code, status in CLIENT_ERRORS.items():
        if code in codes:
            error = result.errors[codes.index(code)]
            return None, problem(status, code, error.message, field=(error.extensions or {}).get("field"))
    if all(error.path is None for error in result.errors):
        # The document is fixed, so an error before execution (no path) means the values the client sent
        # do not fit its variables' types, e.g. a null where an event belongs.
        return None, problem(422, "INVALID", result.errors[0].message)
    # The masked error was logged under this request id; the client can quote it.
    return None, problem(500, "INTERNAL", "Internal error.", request_id=context.request_id)


async def run(
    request: Request, schema: Schema, document: str, variables: dict[str, Any]
) -> tuple[Any, Response | None]:
    """Execute ``document`` as the caller the request authenticates."""
    return await execute(schema, document, variables, await build_context(request))
