"""Where payment gateways send the payer and their notices back. No sign-in: the gateway is asked.

- ``GET /rest/v1/payments/zarinpal/callback/{top_up_id}?Authority=…&Status=OK|NOK``: the payer's browser,
  sent back by Zarinpal. ``Status`` proves nothing: the top-up is verified with Zarinpal (``verify.json``)
  whatever it says, and credited once; ``NOK`` only turns a final "not paid" into *cancelled*. An
  ``Authority`` that is not the top-up's changes nothing (400).
- ``POST /rest/v1/payments/stripe/webhook``: Stripe's events, refused (400) unless ``Stripe-Signature``
  verifies under the webhook secret within its tolerance. A completed session is verified by retrieving it
  from Stripe and credited once; an expired one is cancelled. A top-up that cannot be verified *now*
  answers 503, so Stripe sends the event again; an event about no top-up of ours answers 200 (ignored).
- ``GET /rest/v1/payments/stripe/return/{top_up_id}``: the payer's browser after Stripe Checkout (its
  ``success_url``; ``?cancelled=1`` for ``cancel_url``); it settles the top-up as the webhook would, so the
  payer sees the result even before the webhook arrives.

The payer's answer is :func:`graph.rest.payment_pages.payer_answer`. Settling, and what follows a credit
(the store's hold lifted, the worker woken), is :func:`graph.payments.settling.settle_top_up`.
"""

from __future__ import annotations

import logging
from typing import Final
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from tortoise.transactions import in_transaction

from domain.errors import DomainError, NotFound
from domain.payments import topups
from domain.payments.stripe_checkout import EXPIRED_EVENTS, FAILED_EVENTS, WebhookRefused
from domain.text import identifier_problem
from graph.core.context import NoWakeups
from graph.core.ids import parse_uuid
from graph.payments import paths
from graph.payments.gateways import app_gateways
from graph.payments.settling import settle_top_up
from graph.rest.http import problem, read_body
from graph.rest.payment_pages import payer_answer

logger = logging.getLogger("revisit.payments")

MAX_AUTHORITY: Final = 255


def payment_callback_routes() -> list[BaseRoute]:
    return [
        Route(paths.ZARINPAL_CALLBACK, zarinpal_callback, methods=["GET", "POST"]),
        Route(paths.STRIPE_WEBHOOK, stripe_webhook, methods=["POST"]),
        Route(paths.STRIPE_RETURN, stripe_return, methods=["GET"]),
    ]


async def _settle(
    request: Request,
    top_up_id: UUID,
    *,
    authority: str | None = None,
    tenant_id: UUID | None = None,
    gave_up: bool = False,
) -> topups.Settlement:
    return await settle_top_up(
        top_up_id,
        gateways=app_gateways(request.app.state),
        wakeups=getattr(request.app.state, "wakeups", None) or NoWakeups(),
        authority=authority,
        tenant_id=tenant_id,
        gave_up=gave_up,
    )


async def zarinpal_callback(request: Request) -> Response:
    """Zarinpal sends the payer back here; verify, credit once, and answer the payer."""
    settings = request.app.state.settings
    top_up_id = parse_uuid(request.path_params["top_up_id"])
    parameters = request.query_params
    if request.method == "POST":
        parameters = await request.form()  # type: ignore[assignment]
    authority = str(parameters.get("Authority") or "").strip()
    if top_up_id is None:
        return payer_answer(None, status="failed", settings=settings, http_status=404)
    if not authority or len(authority) > MAX_AUTHORITY or identifier_problem(authority):
        return payer_answer(None, status="failed", settings=settings, http_status=400)
    try:
        settlement = await _settle(
            request, top_up_id, authority=authority, gave_up=parameters.get("Status") != "OK"
        )
    except NotFound:
        return payer_answer(None, status="failed", settings=settings, http_status=404)
    except DomainError:  # the authority is not this top-up's
        return payer_answer(None, status="failed", settings=settings, http_status=400)
    return payer_answer(settlement.top_up, status=settlement.top_up.status, settings=settings)


async def stripe_return(request: Request) -> Response:
    """Stripe Checkout sends the payer back here (success or cancel); settle as the webhook would."""
    settings = request.app.state.settings
    top_up_id = parse_uuid(request.path_params["top_up_id"])
    if top_up_id is None:
        return payer_answer(None, status="failed", settings=settings, http_status=404)
    try:
        settlement = await _settle(request, top_up_id)
    except NotFound:
        return payer_answer(None, status="failed", settings=settings, http_status=404)
    return payer_answer(settlement.top_up, status=settlement.top_up.status, settings=settings)


async def stripe_webhook(request: Request) -> Response:
    """Stripe's signed events about Checkout Sessions (see the module docstring)."""
    body, failure = await read_body(request)
    if failure:
        return failure
    stripe = app_gateways(request.app.state).stripe
    if stripe is None:
        return problem(404, "NOT_CONFIGURED", "Stripe top-ups are not configured here.")
    try:
        event = stripe.read_webhook(body, request.headers.get("stripe-signature"))
    except WebhookRefused as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return problem(400, "INVALID_SIGNATURE", str(exc))
    if event is None:
        return JSONResponse({"received": True, "ignored": "not a Checkout Session payment event"})
    top_up_id = parse_uuid(event.top_up_id or "")
    tenant_id = parse_uuid(event.tenant_id or "")
    if top_up_id is None or tenant_id is None:
        return JSONResponse({"received": True, "ignored": "no top-up named"})
    try:
        if event.type in FAILED_EVENTS:
            async with in_transaction() as connection:
                failed = await topups.fail(
                    connection,
                    top_up_id=top_up_id,
                    tenant_id=tenant_id,
                    authority=event.session_id,
                    code="async_payment_failed",
                    message="Stripe says the payment failed.",
                )
            return JSONResponse({"received": True, "status": failed.status})
        settlement = await _settle(
            request,
            top_up_id,
            authority=event.session_id,
            tenant_id=tenant_id,
            gave_up=event.type in EXPIRED_EVENTS,
        )
    except NotFound:
        return JSONResponse({"received": True, "ignored": "no such top-up"})
    except DomainError as exc:
        return problem(400, exc.code, exc.message, field=exc.field)
    if settlement.message is not None and settlement.code != "unpaid":
        # Stripe could not be asked: a non-2xx answer makes Stripe send the event again later.
        return problem(503, "NOT_CONFIRMED_YET", settlement.message)
    return JSONResponse({"received": True, "status": settlement.top_up.status})
