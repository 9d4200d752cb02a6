"""The deployment's payment gateways, limits and public addresses, read from its settings.

The domain reads no settings: this is where ``REVISIT_ZARINPAL_*``, ``REVISIT_STRIPE_*``,
``REVISIT_TOP_UP_*`` and ``REVISIT_PUBLIC_URL`` become the adapters and values :mod:`domain.payments.topups`
is given. The callback routes keep one set of adapters per app (their HTTP pools); a GraphQL start, rare,
opens its own and closes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from domain.payments.stripe_checkout import StripeCheckout
from domain.payments.topups import Gateways, Limits, ReturnUrls
from domain.payments.zarinpal import ZarinpalGateway
from graph.payments import paths


def build_gateways(settings: Any) -> Gateways:
    """The adapters of the gateways the settings configure (a gateway without credentials is None)."""
    zarinpal = (
        ZarinpalGateway(
            settings.zarinpal_merchant_id,
            base_url=settings.zarinpal_base_url,
            timeout=settings.payment_timeout_seconds,
        )
        if settings.zarinpal_merchant_id.strip()
        else None
    )
    stripe = (
        StripeCheckout(
            settings.stripe_secret_key,
            webhook_secret=settings.stripe_webhook_secret,
            api_base=settings.stripe_api_base,
            timeout=settings.payment_timeout_seconds,
        )
        if settings.stripe_secret_key.strip()
        else None
    )
    return Gateways(zarinpal=zarinpal, stripe=stripe, choice=settings.payment_gateway)


async def close_gateways(gateways: Gateways) -> None:
    if gateways.zarinpal is not None:
        await gateways.zarinpal.aclose()
    if gateways.stripe is not None:
        await gateways.stripe.aclose()


@asynccontextmanager
async def opened_gateways(settings: Any) -> AsyncIterator[Gateways]:
    """Gateways for one request, closed after it."""
    gateways = build_gateways(settings)
    try:
        yield gateways
    finally:
        await close_gateways(gateways)


def app_gateways(state: Any) -> Gateways:
    """The app's own gateways, built on first use and kept (with their HTTP pools) on ``state``."""
    gateways = getattr(state, "payment_gateways", None)
    if gateways is None:
        gateways = build_gateways(state.settings)
        state.payment_gateways = gateways
    return gateways


def limits(settings: Any) -> Limits:
    return Limits(
        min_amount=settings.top_up_min_amount,
        max_amount=settings.top_up_max_amount,
        rials_per_minor_unit={
            key.upper(): value for key, value in settings.stripe_rials_per_minor_unit.items()
        },
    )


def public_base(settings: Any) -> str:
    """Revisit's address as gateways and browsers reach it: ``public_url``, else host and port."""
    if settings.public_url:
        return str(settings.public_url).rstrip("/")
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::", ""} else settings.host
    return f"http://{host}:{settings.port}"


def return_urls(settings: Any, top_up_id: UUID) -> ReturnUrls:
    base = public_base(settings)
    back = f"{base}{paths.stripe_return(top_up_id)}"
    return ReturnUrls(
        callback=f"{base}{paths.zarinpal_callback(top_up_id)}", success=back, cancel=f"{back}?cancelled=1"
    )
