"""REST-compat routes for plugins and other platforms.

The checkout and webhook routes run one fixed GraphQL document against the same schema, with the same
authentication and permissions, and reshape the answer as plain JSON. ``POST /rest/v1/events``, the
bulk path of a backfill, calls the domain's one entry point for received events directly, with the
same authentication and the same permission check (``events``/``write``): its answer is already the
plain JSON of the contract, and GraphQL's coercion of 500 events and completion of 500 results would
double its cost. The OpenAPI description is generated from the pydantic models that validate events.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry import Schema

from domain.errors import DomainError
from domain.events.service import SOURCE_API, store_events
from graph.core.metrics import count_received_events
from graph.core.permissions import REFUSALS, refusal_of
from graph.live import publishing as live
from graph.rest.checkout import checkout_routes
from graph.rest.docs import docs_routes
from graph.rest.exports import export_routes
from graph.rest.http import problem, read_json
from graph.rest.openapi import openapi_document
from graph.rest.payment_callbacks import payment_callback_routes
from graph.rest.payment_documents import payment_document_routes
from graph.rest.sms_callbacks import sms_callback_routes
from graph.rest.woocommerce import woocommerce_routes
from graph.view import build_context


def rest_routes(schema: Schema) -> list[BaseRoute]:

    async def post_events(request: Request) -> Response:
        """Receive a batch of store events (see the OpenAPI description)."""
        body, failure = await read_json(request)
        if failure:
            return failure
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            return problem(422, "INVALID", 'The body must be {"events": [...]} with at least one event.')
        context = await build_context(request)
        refusal = refusal_of(context.principal, context.tenant_id, "events", "write")
        if refusal is not None or context.tenant_id is None:
            return _refused(refusal or "TENANT_REQUIRED")
        try:
            result = await store_events(tenant_id=context.tenant_id, source=SOURCE_API, raw_events=events)
        except DomainError as exc:  # the batch's size rules are store_events': too many is 413
            status = 413 if exc.code == "BATCH_TOO_LARGE" else 422
            return problem(status, exc.code, exc.message, field=exc.field)
        if result.accepted:
            await context.wakeups.events_received(context.tenant_id)
            await live.events_received(context, context.tenant_id, result)
        count_received_events(SOURCE_API, result)
        return JSONResponse(result.model_dump(mode="json"), status_code=202)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    return [
        Route("/rest/v1/events", post_events, methods=["POST"]),
        Route("/rest/v1/openapi.json", openapi, methods=["GET"]),
        *docs_routes(),
        *export_routes(),
        *checkout_routes(schema),
        *woocommerce_routes(schema),
        *sms_callback_routes(),
        *payment_callback_routes(),
        *payment_document_routes(),
    ]


def _refused(refusal: str) -> Response:
    if refusal == "UNAUTHENTICATED":
        return problem(401, "UNAUTHENTICATED", "Send Authorization: Bearer <store key>.")
    if refusal == "FORBIDDEN":
        return problem(403, "FORBIDDEN", "This key may not do that.")
    return problem(422, refusal, REFUSALS[refusal])
