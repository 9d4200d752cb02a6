"""Stripe Checkout, the gateway of stores outside Iran, through the maintained ``stripe`` library.

A top-up opens a Checkout Session (``mode=payment``, one line of the top-up's amount in the store currency's
minor units, ``client_reference_id`` and ``metadata`` naming the top-up and the store, an idempotency key
per top-up so a retried start opens no second session) and sends the payer to its ``url``.

Stripe then posts events to the webhook endpoint, signed in the ``Stripe-Signature`` header
(``t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>" under the endpoint's secret>``). :meth:`read_webhook`
checks that signature and its age (``tolerance`` seconds) with ``stripe.Webhook.construct_event``; an
unsigned, forged or stale event is refused before anything is read from it. Events that matter:

- ``checkout.session.completed`` and ``checkout.session.async_payment_succeeded``: maybe paid. The session
  is retrieved from Stripe again (:meth:`verify`, its payment intent's latest charge expanded for the card's
  brand and last four digits) and only ``payment_status == "paid"`` with the top-up's own amount and
  currency is money.
- ``checkout.session.async_payment_failed``: not paid; ``checkout.session.expired``: the payer gave up.

Errors of the library become :class:`GatewayError` outcomes: no connection, rate limits and Stripe's 5xx
are ``unavailable``; a wrong or restricted API key ``merchant_rejected``; a refused request
``invalid_request`` (``resource_missing`` on a session: ``invalid_authority``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

import stripe

from domain.payments.gateway import GatewayError, Outcome, StartedPayment, VerifiedPayment

logger = logging.getLogger("revisit.payments")

NAME: Final = "stripe"
DEFAULT_TOLERANCE: Final = 300
PAID_EVENTS: Final = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
FAILED_EVENTS: Final = frozenset({"checkout.session.async_payment_failed"})
EXPIRED_EVENTS: Final = frozenset({"checkout.session.expired"})


class WebhookRefused(Exception):
    """The webhook is not Stripe's: no signature, a wrong one, a stale one, or a body that is not JSON."""


@dataclass(frozen=True)
class CheckoutEvent:
    """What a verified webhook says about a Checkout Session."""

    event_id: str
    type: str
    session_id: str
    top_up_id: str | None
    tenant_id: str | None


class StripeCheckout:
    """Opens and verifies Checkout Sessions, and reads Stripe's signed webhooks."""

    name = NAME

    def __init__(
        self,
        api_key: str,
        *,
        webhook_secret: str,
        api_base: str = "https://api.stripe.com",
        timeout: float = 15.0,
        tolerance: int = DEFAULT_TOLERANCE,
        max_network_retries: int = 2,
    ) -> None:
        if not api_key.strip():
            raise ValueError("Stripe needs a secret API key")
        self._webhook_secret = webhook_secret
        self.tolerance = tolerance
        self.api_base = api_base.rstrip("/")
        self._http = stripe.HTTPXClient(timeout=timeout)
        self._client = stripe.StripeClient(
            api_key.strip(),
            base_addresses={"api": self.api_base},
            http_client=self._http,
            max_network_retries=max_network_retries,
        )

    def __repr__(self) -> str:
        return f"StripeCheckout(api_base={self.api_base!r})"

    async def aclose(self) -> None:
        await self._http.close_async()

    async def create_session(
        self,
        *,
        amount: int,
        currency: str,
        product_name: str,
        success_url: str,
        cancel_url: str,
        top_up_id: str,
        tenant_id: str,
    ) -> StartedPayment:
        """Open a Checkout Session charging ``amount`` minor units of ``currency`` (once per top-up)."""
        metadata = {"top_up_id": top_up_id, "tenant_id": tenant_id}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": product_name[:250]},
                    },
                }
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": top_up_id,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
        }
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                options={"idempotency_key": f"top-up:{top_up_id}"},
            )
        except stripe.StripeError as exc:
            raise _refusal(exc) from None
        if not session.id or not session.url:
            raise GatewayError(NAME, "unavailable", "Stripe opened a session without an id or a URL.")
        logger.info("Stripe opened %s for %s %s (top-up %s)", session.id, amount, currency, top_up_id)
        return StartedPayment(authority=session.id, payment_url=session.url)

    async def verify(self, *, session_id: str, amount: int, currency: str) -> VerifiedPayment:
        """The session, retrieved from Stripe, paid in full: ``amount`` minor units of ``currency``."""
        try:
            session = await self._client.v1.checkout.sessions.retrieve_async(
                session_id, {"expand": ["payment_intent.latest_charge"]}
            )
        except stripe.StripeError as exc:
            raise _refusal(exc) from None
        if session.status == "expired":
            raise GatewayError(NAME, "not_paid", "The Checkout Session expired unpaid.", code="expired")
        if session.payment_status != "paid":
            raise GatewayError(
                NAME,
                "unavailable",
                f"Not paid yet (payment status {session.payment_status}).",
                code=session.payment_status,
            )
        if session.amount_total != amount or (session.currency or "").lower() != currency.lower():
            raise GatewayError(
                NAME,
                "amount_mismatch",
                f"Stripe says {session.amount_total} {session.currency}, the top-up is {amount} {currency}.",
                code="amount_mismatch",
            )
        intent = session.payment_intent
        ref = intent if isinstance(intent, str) else getattr(intent, "id", None) or session.id
        return VerifiedPayment(
            authority=session.id, amount=amount, ref_id=str(ref), card_mask=_card_mask(intent)
        )

    def read_webhook(self, payload: bytes, signature: str | None) -> CheckoutEvent | None:
        """The Checkout Session event of a signed webhook; None for another kind of event. Raises
        :class:`WebhookRefused` when the signature is missing, wrong or older than ``tolerance``."""
        if not self._webhook_secret:
            raise WebhookRefused("No webhook secret is configured.")
        if not signature:
            raise WebhookRefused("The Stripe-Signature header is missing.")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, self._webhook_secret, tolerance=self.tolerance
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookRefused(str(exc.user_message or "The signature does not match.")) from None
        except ValueError:
            raise WebhookRefused("The body is not a Stripe event.") from None
        if event.type not in PAID_EVENTS | FAILED_EVENTS | EXPIRED_EVENTS:
            return None
        session = event.data.object.to_dict()
        metadata = session.get("metadata") or {}
        return CheckoutEvent(
            event_id=event.id,
            type=event.type,
            session_id=str(session.get("id") or ""),
            top_up_id=session.get("client_reference_id") or metadata.get("top_up_id"),
            tenant_id=metadata.get("tenant_id"),
        )


def _card_mask(intent: object) -> str | None:
    """«visa •••• 4242» from the payment intent's latest charge, when Stripe expanded it and it was a card."""
    charge = getattr(intent, "latest_charge", None)
    details = getattr(charge, "payment_method_details", None)
    card = getattr(details, "card", None)
    last4, brand = getattr(card, "last4", None), getattr(card, "brand", None)
    if not last4:
        return None
    return f"{brand or 'card'} •••• {last4}"[:32]


def _refusal(exc: stripe.StripeError) -> GatewayError:
    outcome: Outcome
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError):
        outcome = "unavailable"
    elif isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        outcome = "merchant_rejected"
    elif isinstance(exc, stripe.InvalidRequestError) and exc.code == "resource_missing":
        outcome = "invalid_authority"
    elif isinstance(exc, stripe.InvalidRequestError | stripe.IdempotencyError):
        outcome = "invalid_request"
    else:
        outcome = "unavailable"
    message = str(exc.user_message or type(exc).__name__)[:200]
    logger.warning("Stripe refused: %s %s (%s)", type(exc).__name__, exc.code, outcome)
    return GatewayError(NAME, outcome, f"Stripe: {message}", code=exc.code or exc.http_status)
