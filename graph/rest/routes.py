"""REST-compat routes for plugins and other platforms.

Each route runs one fixed GraphQL document against the same schema, with the same authentication and
permissions, and reshapes the answer as plain JSON. The OpenAPI description is generated from the same
pydantic models that validate the events.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry import Schema

from domain.events.schema import MAX_BATCH_SIZE
from graph.rest.checkout import checkout_routes
from graph.rest.openapi import openapi_document
from graph.rest.woocommerce import woocommerce_routes
from graph.view import build_context

INGEST = """
mutation Ingest($events: [JSON!]!) {
  ingestEvents(events: $events) {
    accepted duplicates rejected
    results { id status reason }
    errors { code field message }
  }
}
"""

# Top-level errors a client can act on, and their HTTP statuses; anything else is a 500.
CLIENT_ERRORS = {"TENANT_REQUIRED": 422, "NOT_FOUND": 404, "INVALID_PAGE_SIZE": 422, "INVALID_CURSOR": 422}

MAX_BODY_BYTES = 5 * 1024 * 1024

SWAGGER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Revisit REST API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/rest/v1/openapi.json", dom_id: "#ui"});</script>
</body></html>"""


def problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _run(
    request: Request, schema: Schema, document: str, variables: dict[str, Any]
) -> tuple[Any, Response | None]:
    """Execute ``document``; return its data, or the HTTP answer for an auth or unexpected failure."""
    context = await build_context(request)
    result = await schema.execute(document, variable_values=variables, context_value=context)
    if result.errors:
        codes = [(error.extensions or {}).get("code") for error in result.errors]
        if "UNAUTHENTICATED" in codes:
            return None, problem(401, "UNAUTHENTICATED", "Send Authorization: Bearer <store key>.")
        if "FORBIDDEN" in codes:
            return None, problem(403, "FORBIDDEN", "This key may not do that.")
        for code, status in CLIENT_ERRORS.items():
            if code in codes:
                return None, problem(status, code, result.errors[codes.index(code)].message)
        return None, problem(500, "INTERNAL", "Internal error.")
    return result.data, None


async def _json_body(request: Request) -> tuple[Any, Response | None]:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return None, problem(413, "TOO_LARGE", f"The body may be at most {MAX_BODY_BYTES} bytes.")
    try:
        return json.loads(body), None
    except (ValueError, UnicodeDecodeError):
        return None, problem(400, "INVALID_JSON", "The body is not valid JSON.")


def rest_routes(schema: Schema) -> list[BaseRoute]:
    async def post_events(request: Request) -> Response:
        """Receive a batch of store events (see the OpenAPI description)."""
        body, failure = await _json_body(request)
        if failure:
            return failure
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list) or not events:
            return problem(422, "INVALID", 'The body must be {"events": [...]} with at least one event.')
        if len(events) > MAX_BATCH_SIZE:
            return problem(413, "BATCH_TOO_LARGE", f"At most {MAX_BATCH_SIZE} events per batch; split it.")
        data, failure = await _run(request, schema, INGEST, {"events": events})
        if failure:
            return failure
        payload = data["ingestEvents"]
        if payload["errors"]:
            error = payload["errors"][0]
            return problem(422, error["code"], error["message"])
        del payload["errors"]
        return JSONResponse(payload, status_code=202)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    async def docs(request: Request) -> Response:
        return HTMLResponse(SWAGGER_PAGE)

    return [
        Route("/rest/v1/events", post_events, methods=["POST"]),
        Route("/rest/v1/openapi.json", openapi, methods=["GET"]),
        Route("/rest/docs", docs, methods=["GET"]),
        *checkout_routes(schema),
        *woocommerce_routes(schema),
    ]
