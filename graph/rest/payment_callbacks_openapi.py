"""The OpenAPI description of the payment routes: the gateways' callbacks
(:mod:`graph.rest.payment_callbacks`) and the store's printable documents
(:mod:`graph.rest.payment_documents`).

The callbacks need no sign-in: what they say is checked with the gateway (Zarinpal's ``verify.json``, a
Stripe session retrieved again) or by the Stripe signature. The documents need an access token with
``billing``/``read`` in the store.
"""

from __future__ import annotations

from typing import Any, Final

from graph.payments import paths
from graph.rest.payment_callbacks import MAX_AUTHORITY


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _html(description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}, **extra}


_TOP_UP_ID: Final = {
    "name": "top_up_id",
    "in": "path",
    "required": True,
    "description": "The top-up's id, as Revisit put it in the callback or return URL it gave the gateway.",
    "schema": {"type": "string", "format": "uuid"},
}

_PAYER_ANSWERS: Final[dict[str, Any]] = {
    "200": _html(
        "Revisit's own page for the payer, in Persian and English: paid (with the gateway's reference), "
        "pending (the gateway could not be asked yet), failed or cancelled. `Cache-Control: no-store`."
    ),
    "303": {
        "description": (
            "With `REVISIT_PAYMENT_RETURN_URL` set, the payer is redirected there instead, with "
            "`top_up=<id>&status=paid|pending|failed|cancelled` added to its query. The status is "
            "informative: read the top-up through the API before showing money."
        ),
        "headers": {"Location": {"description": "The return URL", "schema": {"type": "string"}}},
    },
    "404": _html("No such top-up (or a malformed id): the page says the payment failed; nothing changes."),
}

_ZARINPAL_FIELDS: Final = {
    "Authority": {
        "type": "string",
        "maxLength": MAX_AUTHORITY,
        "description": "Zarinpal's authority of the payment; it must be the top-up's own.",
    },
    "Status": {
        "type": "string",
        "enum": ["OK", "NOK"],
        "description": "Proves nothing: the payment is verified with Zarinpal whatever it says. `NOK` only "
        "turns a final 'not paid' into cancelled.",
    },
}


def _zarinpal(method: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"zarinpalCallback{method.capitalize()}",
        "summary": "The payer's browser back from Zarinpal",
        "description": (
            "The callback URL Revisit sends Zarinpal with each payment request. The payment is verified with "
            "Zarinpal (`verify.json`) and the wallet credited once, however often the page is opened; the "
            "payer sees the result. When Zarinpal cannot be asked, the top-up stays pending and the next "
            "visit settles it."
        ),
        "security": [],
        "parameters": [_TOP_UP_ID],
        "responses": {
            **_PAYER_ANSWERS,
            "400": _html(
                "The `Authority` is missing, longer than the limit, not an identifier, or not this top-up's: "
                "the page says the payment failed; nothing changes."
            ),
        },
    }
    if method == "get":
        operation["parameters"] = [
            _TOP_UP_ID,
            *(
                {"name": name, "in": "query", "required": name == "Authority", "schema": schema}
                for name, schema in _ZARINPAL_FIELDS.items()
            ),
        ]
    else:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "required": ["Authority"], "properties": _ZARINPAL_FIELDS}
                }
            },
        }
    return operation


_RECEIVED: Final = {
    "description": (
        "The event was taken (`status`: the top-up's status after it), or ignored (`ignored` says why: not a "
        "Checkout Session payment event, no top-up named, no such top-up)."
    ),
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["received"],
                "properties": {
                    "received": {"type": "boolean", "const": True},
                    "status": {"type": "string", "enum": ["pending", "paid", "failed", "cancelled"]},
                    "ignored": {"type": "string"},
                },
            }
        }
    },
}

_STRIPE_WEBHOOK: Final = {
    "operationId": "receiveStripeWebhook",
    "summary": "Receive a Stripe event",
    "description": (
        "The webhook endpoint to add in the Stripe dashboard, for `checkout.session.completed`, "
        "`checkout.session.async_payment_succeeded`, `checkout.session.async_payment_failed` and "
        "`checkout.session.expired`. Refused unless `Stripe-Signature` verifies under the webhook secret "
        "(at most 5 minutes old). A completed session is retrieved from Stripe again and credited once; an "
        "expired one is cancelled; a failed one is failed."
    ),
    "security": [],
    "parameters": [
        {
            "name": "Stripe-Signature",
            "in": "header",
            "required": True,
            "description": "Stripe's signature of the body (`t=…,v1=…`).",
            "schema": {"type": "string"},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "A Stripe Event, as Stripe sends it."}
            }
        },
    },
    "responses": {
        "200": _RECEIVED,
        "400": _error(
            "The signature is missing, forged or too old (`INVALID_SIGNATURE`), or the session is not the "
            "top-up's (`AUTHORITY_MISMATCH`); nothing changes."
        ),
        "404": _error("Stripe top-ups are not configured here (`NOT_CONFIGURED`)."),
        "503": {
            **_error(
                "Stripe could not be asked about the session now (`NOT_CONFIRMED_YET`), so Stripe sends the "
                "event again later; or the API process is at its limit of requests (`OVERLOADED`, with "
                "`Retry-After`)."
            ),
            "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
        },
    },
}

_STRIPE_RETURN: Final = {
    "operationId": "stripeReturn",
    "summary": "The payer's browser back from Stripe Checkout",
    "description": (
        "The session's `success_url` (and, with `?cancelled=1`, its `cancel_url`). The top-up is settled "
        "as the webhook would settle it, by asking Stripe, so the payer sees the result even before the "
        "webhook arrives."
    ),
    "security": [],
    "parameters": [
        _TOP_UP_ID,
        {
            "name": "cancelled",
            "in": "query",
            "required": False,
            "description": "Set on the cancel URL; informative only: Stripe is asked either way.",
            "schema": {"type": "string"},
        },
    ],
    "responses": dict(_PAYER_ANSWERS),
}

_TENANT: Final = {
    "name": "tenant",
    "in": "query",
    "required": False,
    "description": "The store (its id); else the `X-Revisit-Tenant` header, else the caller's only store.",
    "schema": {"type": "string", "format": "uuid"},
}

_DOCUMENT_REFUSALS: Final[dict[str, Any]] = {
    "401": _error("No valid access token (`UNAUTHENTICATED`)."),
    "403": _error("The caller's role in the store has no `billing`/`read` (`FORBIDDEN`)."),
    "422": _error("The caller has several stores and named none (`TENANT_REQUIRED`)."),
}


def _document(description: str) -> dict[str, Any]:
    return _html(
        description,
        headers={
            "Content-Disposition": {
                "description": '`inline; filename="<number>.html"`',
                "schema": {"type": "string"},
            },
            "Cache-Control": {"description": "`private, no-store`", "schema": {"type": "string"}},
        },
    )


_RECEIPT: Final = {
    "operationId": "getTopUpReceipt",
    "summary": "The receipt of a paid top-up",
    "description": (
        "A printable page (`receiptUrl` of a paid top-up): the platform, the store, the receipt number "
        "(`R-…`), the payment time in the store's calendar, the gateway's reference, the card (masked) and "
        "the rials credited."
    ),
    "security": [{"accessToken": []}],
    "parameters": [_TOP_UP_ID, _TENANT],
    "responses": {
        "200": _document("The receipt."),
        **_DOCUMENT_REFUSALS,
        "404": _error(
            "Not one of the store's top-ups, not paid yet, or a malformed id (`NOT_FOUND`, field "
            "`top_up_id`); or `?tenant=` is not a store id (`NOT_FOUND`, field `tenant`)."
        ),
    },
}

_DIGITS: Final = {"type": "string", "pattern": "^[0-9]+$"}

_INVOICE: Final = {
    "operationId": "getMonthlyInvoice",
    "summary": "The invoice of a month",
    "description": (
        "A printable page (`url` of an entry of `invoices`) of one month of the store's calendar (Jalali "
        "or Gregorian, in the store's timezone): the month's charges from the wallet by kind, refunds, the "
        "total and the top-ups paid. A month with no charges has an empty invoice."
    ),
    "security": [{"accessToken": []}],
    "parameters": [
        {"name": "year", "in": "path", "required": True, "schema": {**_DIGITS, "maxLength": 4}},
        {
            "name": "month",
            "in": "path",
            "required": True,
            "description": "1 to 12, in the store's calendar.",
            "schema": {**_DIGITS, "maxLength": 2},
        },
        _TENANT,
    ],
    "responses": {
        "200": _document("The invoice."),
        "400": _error(
            "The year or month is not digits, too long, or no month of the calendar (`INVALID_PERIOD`, "
            "naming the field)."
        ),
        **_DOCUMENT_REFUSALS,
        "404": _error("`?tenant=` is not a store id (`NOT_FOUND`, field `tenant`)."),
    },
}

PAYMENT_OPENAPI_PATHS: Final[dict[str, Any]] = {
    paths.ZARINPAL_CALLBACK: {"get": _zarinpal("get"), "post": _zarinpal("post")},
    paths.STRIPE_WEBHOOK: {"post": _STRIPE_WEBHOOK},
    paths.STRIPE_RETURN: {"get": _STRIPE_RETURN},
    paths.RECEIPT: {"get": _RECEIPT},
    paths.INVOICE: {"get": _INVOICE},
}

ACCESS_TOKEN_SCHEME: Final = {
    "type": "http",
    "scheme": "bearer",
    "description": "An access token from signing in, as for the GraphQL API (not a store key).",
}
