"""The OpenAPI 3.1 description of the REST-compat API, generated from the event models."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from domain.events.schema import MAX_BATCH_SIZE, EventBatch, EventBatchResult, IncomingEvent
from graph.core.inputs import MAX_JSON_DEPTH
from graph.rest.checkout_openapi import CHECKOUT_OPENAPI_PATHS, CHECKOUT_OPENAPI_SCHEMAS
from graph.rest.http import MAX_BODY_BYTES
from graph.rest.payment_callbacks_openapi import ACCESS_TOKEN_SCHEME, PAYMENT_OPENAPI_PATHS
from graph.rest.sms_callbacks_openapi import SMS_CALLBACKS_OPENAPI_PATHS
from graph.rest.woocommerce_openapi import WOOCOMMERCE_OPENAPI_PATHS

ERROR = {
    "type": "object",
    "description": "Every refusal of every route: `code` is for machines, `message` for people.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": (
                        "Stable and machine-readable: `INVALID_JSON`, `TOO_DEEP` (JSON nested past "
                        f"{MAX_JSON_DEPTH} levels), `TOO_LARGE`, `BATCH_TOO_LARGE`, `UNAUTHENTICATED`, "
                        "`INVALID_SIGNATURE`, `FORBIDDEN`, `INVALID`, `NOT_FOUND`, `TENANT_REQUIRED`, "
                        "`INTERNAL`, or the code of the operation's own error."
                    ),
                    "examples": ["INVALID"],
                },
                "message": {"type": "string", "examples": ["customer.email: Text may not contain NUL"]},
                "field": {
                    "type": "string",
                    "description": "The input at fault, when the server can name one.",
                    "examples": ["key"],
                },
                "request_id": {
                    "type": "string",
                    "description": "On `INTERNAL` (500): quote it to support; the log has the details.",
                },
            },
        }
    },
}

TRANSPORT_ERRORS: dict[str, str] = {
    "400": (
        "The body is not strict JSON (`INVALID_JSON`: NaN and Infinity are not JSON) or nests objects and "
        f"arrays more than {MAX_JSON_DEPTH} levels deep (`TOO_DEEP`)."
    ),
    "413": f"A body over {MAX_BODY_BYTES} bytes (`TOO_LARGE`), refused before it is read in full.",
    "422": (
        "A value the server cannot take (`INVALID`, naming the field): NUL, an unpaired surrogate or a "
        "control character in text, or a value out of its range."
    ),
}
"""Answers every operation with a JSON body may give, whatever the operation."""

INTERNAL_ERROR = "Something failed on Revisit's side (`INTERNAL`); the body carries the `request_id`."
OVERLOADED = (
    "The API process is answering as many requests as it may at once (`OVERLOADED`); nothing was done. "
    "Send again after the `Retry-After` header's seconds."
)


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _with_common_errors(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation also documents the answers shared by all routes (body limits, 500, 503)."""
    for item in paths.values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                for status, description in TRANSPORT_ERRORS.items():
                    responses.setdefault(status, _error(description))
            responses.setdefault("500", _error(INTERNAL_ERROR))
            responses.setdefault(
                "503",
                {
                    **_error(OVERLOADED),
                    "headers": {
                        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
                    },
                },
            )
    return paths


_EVENTS_PATH: dict[str, Any] = {
    "post": {
        "operationId": "sendEvents",
        "summary": "Send store events",
        "description": (
            f"Up to {MAX_BATCH_SIZE} events per call. Each event is validated on its own: the answer lists, "
            "in order, `accepted`, `duplicate` (this id was received before; nothing changes) or "
            "`rejected` with the reason. Safe to retry: resend the same ids."
        ),
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}}},
        },
        "responses": {
            "202": {
                "description": "The batch was received; see each event's result.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/EventBatchResult"}}
                },
            },
            "400": _error(TRANSPORT_ERRORS["400"]),
            "401": _error("No valid store key (`UNAUTHENTICATED`)."),
            "403": _error("The key may not send events (`FORBIDDEN`)."),
            "413": _error(
                f"More than {MAX_BATCH_SIZE} events (`BATCH_TOO_LARGE`), or a body over {MAX_BODY_BYTES} "
                "bytes (`TOO_LARGE`)."
            ),
            "422": _error(
                "The body is not an object with a non-empty `events` list (`INVALID`). An event that is "
                "itself invalid is not a 422: it is `rejected` in the 202 answer."
            ),
        },
    }
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
    paths = copy.deepcopy(
        {
            "/rest/v1/events": _EVENTS_PATH,
            **CHECKOUT_OPENAPI_PATHS,
            **WOOCOMMERCE_OPENAPI_PATHS,
            **SMS_CALLBACKS_OPENAPI_PATHS,
            **PAYMENT_OPENAPI_PATHS,
        }
    )
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
                "storeKey": {"type": "http", "scheme": "bearer", "description": "A store key."},
                "accessToken": ACCESS_TOKEN_SCHEME,
            },
            "schemas": schemas,
        },
        "security": [{"storeKey": []}],
        "paths": _with_common_errors(paths),
    }
