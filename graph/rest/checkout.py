"""REST-compat routes a store's checkout calls: connection check, credit quote, hold and release, coupons.

Like every REST route, each runs one fixed GraphQL document against the same schema, with the same
authentication and permissions (a store key may read and spend its own customers' credit, no one
else's), and reshapes the answer as the plugin contract says. Bodies are validated with the models of
:mod:`graph.rest.checkout_models`, from which :mod:`graph.rest.checkout_openapi` generates the OpenAPI
description too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry import Schema

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
    CustomerRef,
    ErrorDetail,
    InsufficientCreditAnswer,
    StoreDetails,
)
from graph.rest.http import problem, read_json, run

CONNECTION = "query Connection { tenant { id name currency timezone } }"
QUOTE = """
query CreditQuote($customer: CustomerRefInput!, $cartTotal: String!, $currency: String!) {
  creditQuote(customer: $customer, cartTotal: $cartTotal, currency: $currency) {
    quote { customerFound available maxUsable currency }
    errors { code field message }
  }
}
"""
HOLD = """
mutation HoldCredit($input: HoldCreditInput!) {
  holdCredit(input: $input) {
    hold { orderExternalId held available currency }
    errors { code field message available }
  }
}
"""
RELEASE = """
mutation ReleaseCredit($orderExternalId: String!) {
  releaseCredit(orderExternalId: $orderExternalId) {
    release { orderExternalId released available currency }
    errors { code field message }
  }
}
"""
VALIDATE_COUPON = """
query ValidateCoupon($code: String!, $customer: CustomerRefInput!, $cartTotal: String!, $currency: String!,
                     $lines: [CartLineInput!], $shippingTotal: String) {
  validateCoupon(code: $code, customer: $customer, cartTotal: $cartTotal, currency: $currency,
                 lines: $lines, shippingTotal: $shippingTotal) {
    check { valid code reason message kind value discount freeShipping expiresAt }
    errors { code field message }
  }
}
"""

MAX_REASONS = 5
"""A 422 for an invalid body names at most this many problems."""

Body = TypeVar("Body", bound=BaseModel)


def checkout_routes(schema: Schema) -> list[BaseRoute]:
    """The checkout routes, running their documents against ``schema``."""

    async def execute(
        request: Request, model: type[Body], document: str, variables: Callable[[Body], dict[str, Any]]
    ) -> tuple[dict[str, Any], Response | None]:
        """Validate the body, run ``document``; return the operation's payload or the error answer."""
        raw, failure = await read_json(request)
        if failure:
            return {}, failure
        try:
            body = model.model_validate(raw)
        except ValidationError as exc:
            return {}, problem(422, "INVALID", _reasons(exc), field=_first_field(exc))
        data, failure = await run(request, schema, document, variables(body))
        if failure:
            return {}, failure
        payload: dict[str, Any] = next(iter(data.values()))
        if not payload["errors"]:
            return payload, None
        error = payload["errors"][0]
        if error["code"] == "INSUFFICIENT_CREDIT":
            answer = InsufficientCreditAnswer(
                error=ErrorDetail(code=error["code"], message=error["message"]), available=error["available"]
            )
            return {}, JSONResponse(answer.model_dump(), status_code=409)
        return {}, problem(422, error["code"], error["message"], field=_body_field(error.get("field")))

    async def connection(request: Request) -> Response:
        """The plugin's "test connection": the store the key belongs to."""
        data, failure = await run(request, schema, CONNECTION, {})
        if failure:
            return failure
        return _answer(ConnectionAnswer(store=StoreDetails(**data["tenant"])))

    async def quote(request: Request) -> Response:
        """What the customer could spend on the cart."""
        payload, failure = await execute(
            request,
            CreditQuoteRequest,
            QUOTE,
            lambda body: {
                "customer": _customer(body.customer),
                "cartTotal": body.cart_total,
                "currency": body.currency,
            },
        )
        if failure:
            return failure
        found = payload["quote"]
        return _answer(
            CreditQuoteAnswer(
                customer_found=found["customerFound"],
                available=found["available"],
                max_usable=found["maxUsable"],
                currency=found["currency"],
            )
        )

    async def hold(request: Request) -> Response:
        """Hold credit for an order being placed."""
        payload, failure = await execute(
            request,
            CreditHoldRequest,
            HOLD,
            lambda body: {
                "input": {
                    "orderExternalId": body.order_external_id,
                    "customer": _customer(body.customer),
                    "amount": body.amount,
                    "currency": body.currency,
                }
            },
        )
        if failure:
            return failure
        held = payload["hold"]
        return _answer(
            CreditHoldAnswer(
                order_external_id=held["orderExternalId"],
                held=held["held"],
                available=held["available"],
                currency=held["currency"],
            )
        )

    async def release(request: Request) -> Response:
        """Give back the credit held for an order."""
        payload, failure = await execute(
            request,
            CreditReleaseRequest,
            RELEASE,
            lambda body: {"orderExternalId": body.order_external_id},
        )
        if failure:
            return failure
        released = payload["release"]
        return _answer(
            CreditReleaseAnswer(
                order_external_id=released["orderExternalId"],
                released=released["released"],
                available=released["available"],
                currency=released["currency"],
            )
        )

    async def validate_coupon(request: Request) -> Response:
        """Check a coupon code the store does not know."""
        payload, failure = await execute(
            request,
            CouponCheckRequest,
            VALIDATE_COUPON,
            lambda body: {
                "code": body.code,
                "customer": _customer(body.customer),
                "cartTotal": body.cart_total,
                "currency": body.currency,
                "lines": [
                    {"productId": line.product_id, "total": line.total, "categoryIds": line.category_ids}
                    for line in body.lines
                ],
                "shippingTotal": body.shipping_total,
            },
        )
        if failure:
            return failure
        check = payload["check"]
        valid = check["valid"]
        return _answer(
            CouponCheckAnswer(
                valid=valid,
                code=check["code"],
                reason=check["reason"],
                message=check["message"],
                discount_type=("percent" if check["kind"] == "PERCENT" else "fixed_cart") if valid else None,
                amount=check["value"],
                discount=check["discount"],
                free_shipping=check["freeShipping"],
                expires_at=check["expiresAt"],
            )
        )

    return [
        Route("/rest/v1/connection", connection, methods=["GET"]),
        Route("/rest/v1/credit/quote", quote, methods=["POST"]),
        Route("/rest/v1/credit/hold", hold, methods=["POST"]),
        Route("/rest/v1/credit/release", release, methods=["POST"]),
        Route("/rest/v1/coupons/validate", validate_coupon, methods=["POST"]),
    ]


def _customer(ref: CustomerRef) -> dict[str, str | None]:
    return {"externalId": ref.external_id, "phone": ref.phone, "email": ref.email}


def _answer(model: BaseModel) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json", exclude_none=True))


def _body_field(graphql_field: str | None) -> str | None:
    """A GraphQL error's field as the REST body spells it: ``cartTotal`` → ``cart_total``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", graphql_field).lower() if graphql_field else None


def _first_field(error: ValidationError) -> str | None:
    """The body field the first problem is about (``customer.phone``), or None for the body itself."""
    location = error.errors()[0]["loc"] if error.errors() else ()
    return ".".join(str(part) for part in location) or None


def _reasons(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}" for item in error.errors()
    ]
    more = len(problems) - MAX_REASONS
    return "; ".join(problems[:MAX_REASONS]) + (f"; and {more} more" if more > 0 else "")
