"""What every REST-compat route shares: error answers, reading bodies, running a fixed document."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry import Schema

from graph.core.context import Context
from graph.view import build_context

MAX_BODY_BYTES = 5 * 1024 * 1024

# Top-level errors a client can act on, and their HTTP statuses; anything else is a 500.
CLIENT_ERRORS = {"TENANT_REQUIRED": 422, "NOT_FOUND": 404, "INVALID_PAGE_SIZE": 422, "INVALID_CURSOR": 422}


def problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def read_body(request: Request) -> tuple[bytes, Response | None]:
    """The raw body, or a 413 answer when it is larger than ``MAX_BODY_BYTES``."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return b"", problem(413, "TOO_LARGE", f"The body may be at most {MAX_BODY_BYTES} bytes.")
    return body, None


async def read_json(request: Request) -> tuple[Any, Response | None]:
    """The body parsed as JSON, or the 413/400 answer."""
    body, failure = await read_body(request)
    if failure:
        return None, failure
    try:
        return json.loads(body), None
    except (ValueError, UnicodeDecodeError):
        return None, problem(400, "INVALID_JSON", "The body is not valid JSON.")


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
            return None, problem(status, code, result.errors[codes.index(code)].message)
    return None, problem(500, "INTERNAL", "Internal error.")


async def run(
    request: Request, schema: Schema, document: str, variables: dict[str, Any]
) -> tuple[Any, Response | None]:
    """Execute ``document`` as the caller the request authenticates."""
    return await execute(schema, document, variables, await build_context(request))
