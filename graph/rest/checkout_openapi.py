"""The OpenAPI description of the checkout routes (:mod:`graph.rest.checkout`), generated from the models
that validate their bodies and shape their answers (:mod:`graph.rest.checkout_models`)."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from domain.coupons.validation import REASONS
from graph.rest.checkout_models import (
    ConnectionAnswer,
    CouponCheckAnswer,
    CouponCheckRequest,
    CreditHoldAnswer,
    CreditHoldRequest,
    CreditQuoteAnswer,
    CreditQuoteRequest,
    CreditReleaseAnswer,
    CreditReleaseRequest,
    InsufficientCreditAnswer,
)

_, _definitions = models_json_schema(
    [
        (CreditQuoteRequest, "validation"),
        (CreditHoldRequest, "validation"),
        (CreditReleaseRequest, "validation"),
        (CouponCheckRequest, "validation"),
        (ConnectionAnswer, "serialization"),
        (CreditQuoteAnswer, "serialization"),
        (CreditHoldAnswer, "serialization"),
        (CreditReleaseAnswer, "serialization"),
        (CouponCheckAnswer, "serialization"),
        (InsufficientCreditAnswer, "serialization"),
    ],
    ref_template="#/components/schemas/{model}",
)
CHECKOUT_OPENAPI_SCHEMAS: dict[str, Any] = dict(_definitions.get("$defs", {}))
"""Component schemas the checkout paths refer to; merge them into ``components.schemas``."""


def _content(schema_name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}


def _operation(
    operation_id: str,
    summary: str,
    description: str,
    *,
    request: str | None,
    answer: tuple[str, str],
    errors: dict[str, str],
) -> dict[str, Any]:
    """An operation answering ``answer`` (schema, description) with 200 and ``errors`` as ``Error``."""
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary, "description": description}
    if request is not None:
        operation["requestBody"] = {"required": True, "content": _content(request)}
    schema_name, answered = answer
    operation["responses"] = {
        "200": {"description": answered, "content": _content(schema_name)},
        **{status: {"description": text, "content": _content("Error")} for status, text in errors.items()},
    }
    return operation


_AUTH_ERRORS = {"401": "No valid store key.", "403": "The key may not do this in its store."}
_BODY_ERRORS = {**_AUTH_ERRORS, "400": "The body is not JSON.", "413": "A body over 5 MiB."}
_MISMATCH = "a currency other than the store's (`CURRENCY_MISMATCH`)"

_hold = _operation(
    "holdCredit",
    "Hold credit for an order being placed",
    "Takes the amount from the customer's available credit at once, under a lock, so two checkouts can "
    "never spend the same credit. Once per order: holding again for the same order returns what it holds "
    "and takes nothing more. The order's events later settle the hold with the order's `credit_used`; a "
    "cancelled or failed order, or `POST /rest/v1/credit/release`, gives it back.",
    request="CreditHoldRequest",
    answer=("CreditHoldAnswer", "The order holds the credit."),
    errors={
        **_BODY_ERRORS,
        "422": (
            "An invalid body or amount (`INVALID`), an unknown customer (`CUSTOMER_NOT_FOUND`) or "
            f"{_MISMATCH}."
        ),
    },
)
_hold["responses"]["409"] = {
    "description": "`INSUFFICIENT_CREDIT`: the customer cannot cover the amount; nothing was taken.",
    "content": _content("InsufficientCreditAnswer"),
}

CHECKOUT_OPENAPI_PATHS: dict[str, Any] = {
    "/rest/v1/connection": {
        "get": _operation(
            "getConnection",
            "Check the store key",
            "The plugin's connection test: the store the key belongs to.",
            request=None,
            answer=("ConnectionAnswer", "The key works."),
            errors=_AUTH_ERRORS,
        )
    },
    "/rest/v1/credit/quote": {
        "post": _operation(
            "quoteCredit",
            "What a customer could spend on a cart",
            "The customer's available credit and, of it, at most the cart total. A customer Revisit does "
            "not know is answered `customer_found: false` with zeros. Takes nothing.",
            request="CreditQuoteRequest",
            answer=("CreditQuoteAnswer", "The quote."),
            errors={**_BODY_ERRORS, "422": f"An invalid body or amount (`INVALID`) or {_MISMATCH}."},
        )
    },
    "/rest/v1/credit/hold": {"post": _hold},
    "/rest/v1/credit/release": {
        "post": _operation(
            "releaseCredit",
            "Give back the credit held for an order",
            "For a checkout that did not place its order. What a live order reports in `credit_used` stays "
            "spent (cancel the order to give that back). Releasing again, or an order that held nothing, "
            "gives back `0`.",
            request="CreditReleaseRequest",
            answer=("CreditReleaseAnswer", "What was given back."),
            errors={**_BODY_ERRORS, "422": "An invalid body (`INVALID`)."},
        )
    },
    "/rest/v1/coupons/validate": {
        "post": _operation(
            "validateCoupon",
            "Check a Revisit coupon code for a cart",
            "Whether the code is a Revisit coupon the customer may apply to this cart, and what it takes "
            "off. Codes are compared in any case. A valid answer gives `discount_type` (percent or "
            "fixed_cart), `amount`, the `discount` for this cart (the template's maximum applied, never "
            "more than the eligible lines) and `free_shipping`; an invalid one gives `reason`: "
            + ", ".join(f"`{reason}`" for reason in REASONS)
            + ". Send the cart's `lines` for codes limited to some products or categories. Reads only: "
            "the use is counted when the order's event arrives.",
            request="CouponCheckRequest",
            answer=("CouponCheckAnswer", "The answer for the code."),
            errors={**_BODY_ERRORS, "422": f"An invalid body or code (`INVALID`) or {_MISMATCH}."},
        )
    },
}
"""OpenAPI 3.1 path items of the checkout routes; they refer to ``Error`` and to
:data:`CHECKOUT_OPENAPI_SCHEMAS`."""
