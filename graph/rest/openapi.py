"""The OpenAPI 3.1 description of the REST-compat API, generated from the event models."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from domain.events.schema import EventBatch, EventBatchResult, IncomingEvent
from graph.rest.checkout import CHECKOUT_OPENAPI_PATHS, CHECKOUT_OPENAPI_SCHEMAS
from graph.rest.woocommerce import WOOCOMMERCE_OPENAPI_PATHS

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


@cache
def openapi_document() -> dict[str, Any]:
    _, definitions = models_json_schema(
        [(EventBatch, "validation"), (IncomingEvent, "validation"), (EventBatchResult, "serialization")],
        ref_template="#/components/schemas/{model}",
    )
    schemas = dict(definitions.get("$defs", {}))
    schemas["Error"] = ERROR
    schemas.update(CHECKOUT_OPENAPI_SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Revisit REST API",
            "version": "1",
            "description": (
                "For store plugins and other platforms. Authenticate with the store's access key: "
                "`Authorization: Bearer rvk_…`. Every route runs the same operation as the GraphQL API."
            ),
        },
        "components": {
            "securitySchemes": {
                "storeKey": {"type": "http", "scheme": "bearer", "description": "A store key."}
            },
            "schemas": schemas,
        },
        "security": [{"storeKey": []}],
        "paths": {
            "/rest/v1/events": {
                "post": {
                    "operationId": "sendEvents",
                    "summary": "Send store events",
                    "description": (
                        "Up to 500 events per call. Each event is validated on its own: the answer lists, "
                        "in order, `accepted`, `duplicate` (this id was received before; nothing changes) or "
                        "`rejected` with the reason. Safe to retry: resend the same ids."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}}
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "The batch was received; see each event's result.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/EventBatchResult"}
                                }
                            },
                        },
                        "400": _error("The body is not JSON."),
                        "401": _error("No valid store key."),
                        "403": _error("The key may not send events."),
                        "413": _error("More than 500 events, or a body over 5 MiB."),
                        "422": _error("The body is not an object with a non-empty `events` list."),
                    },
                }
            },
            **CHECKOUT_OPENAPI_PATHS,
            **WOOCOMMERCE_OPENAPI_PATHS,
        },
    }
