"""REST-compat routes for plugins and other platforms.

Each route runs one fixed GraphQL document against the same schema, with the same authentication and
permissions, and reshapes the answer as plain JSON. The OpenAPI description is generated from the same
pydantic models that validate the events.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry import Schema

from graph.rest.checkout import checkout_routes
from graph.rest.docs import docs_routes
from graph.rest.http import prepare, problem, read_json, run
from graph.rest.metrics import count_received_events
from graph.rest.openapi import openapi_document
from graph.rest.woocommerce import woocommerce_routes

INGEST = """
mutation Ingest($events: [JSON!]!) {
  ingestEvents(events: $events) {
    accepted duplicates rejected
    results { id status reason }
    errors { code field message }
  }
}
"""


def rest_routes(schema: Schema) -> list[BaseRoute]:
    prepare(schema, INGEST)

    async def post_events(request: Request) -> Response:
        """Receive a batch of store events (see the OpenAPI description)."""
        body, failure = await read_json(request)
        if failure:
            return failure
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            # GraphQL would take a lone value for a list of one; the body's shape is REST's to check.
            return problem(422, "INVALID", 'The body must be {"events": [...]} with at least one event.')
        # GraphQL's [JSON!] cannot carry null. A null is no more an event than a number is, so it goes on
        # as an empty list, which is rejected alone like any other non-object.
        events = [[] if event is None else event for event in events]
        data, failure = await run(request, schema, INGEST, {"events": events})
        if failure:
            return failure
        payload = data["ingestEvents"]
        if payload["errors"]:
            # The batch's size rules are store_events'; too many events is 413, anything else 422.
            error = payload["errors"][0]
            status = 413 if error["code"] == "BATCH_TOO_LARGE" else 422
            return problem(status, error["code"], error["message"], field=error.get("field"))
        del payload["errors"]
        count_received_events("api", payload)
        return JSONResponse(payload, status_code=202)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    return [
        Route("/rest/v1/events", post_events, methods=["POST"]),
        Route("/rest/v1/openapi.json", openapi, methods=["GET"]),
        *docs_routes(),
        *checkout_routes(schema),
        *woocommerce_routes(schema),
    ]
