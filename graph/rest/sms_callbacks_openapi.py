"""The OpenAPI description of the SMS providers' callbacks (:mod:`graph.rest.sms_callbacks`)."""

from __future__ import annotations

from typing import Any, Final

from graph.rest.sms_callbacks import DELIVERY_PATH, INBOUND_PATH, MAX_BODY, MAX_ID, MAX_MESSAGE, MAX_PHONE


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_PATH_PARAMETERS: Final = [
    {
        "name": "scope",
        "in": "path",
        "required": True,
        "description": "`platform` (the platform's line) or the id of the store's own SMS account.",
        "schema": {"type": "string"},
    },
    {
        "name": "key",
        "in": "path",
        "required": True,
        "description": "The key Revisit made for this scope; shown with the URL on `smsAccount.callbacks`.",
        "schema": {"type": "string", "maxLength": 64},
    },
]

_RECORDED: Final = {
    "description": "Authentic: `recorded` messages changed (0 for a repeat, or a status on its way).",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["recorded"],
                "properties": {"recorded": {"type": "integer", "minimum": 0}},
            }
        }
    },
}


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "required": required, "properties": properties}
            }
        },
    }


def _operation(operation_id: str, summary: str, description: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "security": [],
        "parameters": _PATH_PARAMETERS,
        "requestBody": body,
        "responses": {
            "200": _RECORDED,
            "401": _error(
                "Not a callback URL Revisit made, or the store's account is gone (`UNAUTHENTICATED`)."
            ),
            "413": _error(f"A body over {MAX_BODY} bytes (`TOO_LARGE`)."),
            "422": _error("A field missing or past its limit (`INVALID`, naming the field)."),
        },
    }


_DELIVERY = _form(
    {
        "messageid": {"type": "string", "pattern": "^[0-9]+$", "maxLength": MAX_ID},
        "status": {
            "type": "string",
            "description": "Kavenegar's status: 10 delivered, 11 not delivered, 6 failed, 13 cancelled, "
            "14 blocked.",
        },
    },
    ["messageid", "status"],
)
_INBOUND = _form(
    {
        "messageid": {"type": "string", "maxLength": MAX_ID},
        "from": {"type": "string", "maxLength": MAX_PHONE, "description": "The sender's number."},
        "to": {"type": "string", "maxLength": MAX_PHONE, "description": "The line it was sent to."},
        "message": {"type": "string", "maxLength": MAX_MESSAGE},
    },
    ["messageid", "from"],
)

SMS_CALLBACKS_OPENAPI_PATHS: Final[dict[str, Any]] = {
    DELIVERY_PATH: {
        "post": _operation(
            "receiveKavenegarDelivery",
            "Receive a Kavenegar delivery report",
            "Set this URL as the line's delivery-report address in the Kavenegar panel. Final statuses "
            "become the message's deliveryStatus; the same report twice changes nothing. GET with the same "
            "fields as a query string works too.",
            _DELIVERY,
        )
    },
    INBOUND_PATH: {
        "post": _operation(
            "receiveKavenegarInbound",
            "Receive an SMS sent to a Kavenegar line",
            "Set this URL as the line's receive address in the Kavenegar panel. Each message is kept once; "
            "«۱۱», «لغو» or 11 suppresses marketing to the sender in the store (docs/sms-providers.md says "
            "which store on the platform's shared line). GET with a query string works too.",
            _INBOUND,
        )
    },
}
