"""Top-ups: a store pays into its wallet through a gateway, and the wallet is credited exactly once.

**Start** (:func:`start`): a validated amount in rials and the client's idempotency key. The row is
inserted (or found: the same key answers the same top-up, a different amount under it is refused) and
locked, the gateway is asked for a payment once (Zarinpal's authority or Stripe's Checkout Session), and
the answer is where the payer goes. Which gateway: the store's country (IR → Zarinpal, else Stripe),
unless the deployment names one. Zarinpal charges the same rials (``currency: IRR``); Stripe charges the
store's currency in minor units at the deployment's rate, rounded up to a whole minor unit.

**Settle** (:func:`settle`, called from the gateway's callback or webhook, any number of times, at once):
in the caller's transaction the top-up row is locked ``FOR UPDATE``; a top-up that is no longer pending
answers as it is, without asking the gateway. A pending one is verified with the gateway (the row stays
locked, so one verify runs per top-up at a time and the others wait and then read its result); verified,
the wallet is credited with ``wallet.top_up(key=f"top-up:{id}")`` and the row marked paid in that same
transaction. A final refusal (not paid, another amount, an unknown authority) fails it — or cancels it,
when the payer said they gave up; anything else (the gateway down, not paid *yet*) leaves it pending to be
settled by the next callback. The wallet's own key makes a second credit impossible even so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal
from uuid import UUID, uuid4

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from domain.billing import wallet
from domain.errors import DomainError, NotFound
from domain.payments.gateway import GatewayError, StartedPayment, VerifiedPayment
from domain.payments.models import TopUp
from domain.payments.stripe_checkout import StripeCheckout
from domain.payments.zarinpal import ZarinpalGateway
from domain.tenancy.models import Tenant
from domain.text import identifier_problem

logger = logging.getLogger("revisit.payments")

GatewayName = Literal["zarinpal", "stripe"]
GatewayChoice = Literal["auto", "zarinpal", "stripe"]
MAX_CLIENT_KEY: Final = 100
IRAN: Final = "IR"
STRIPE_MIN_CHARGE: Final = 50
"""The smallest charge Stripe takes, in minor units (50 cents in USD and EUR)."""


@dataclass(frozen=True)
class Gateways:
    """The deployment's configured gateways (None: not configured) and which one stores use."""

    zarinpal: ZarinpalGateway | None = None
    stripe: StripeCheckout | None = None
    choice: GatewayChoice = "auto"

    def name_for(self, tenant: Tenant) -> GatewayName:
        """Zarinpal for a store in Iran, Stripe elsewhere — unless the deployment chose one for all."""
        if self.choice != "auto":
            return self.choice
        return "zarinpal" if (tenant.country or IRAN).upper() == IRAN else "stripe"


@dataclass(frozen=True)
class Limits:
    """The smallest and largest top-up (IRR) and Stripe's rate: rials per minor unit of each currency."""

    min_amount: int
    max_amount: int
    rials_per_minor_unit: Mapping[str, int]


@dataclass(frozen=True)
class ReturnUrls:
    """Where a gateway sends the payer back: Zarinpal's callback, Stripe's success and cancel pages."""

    callback: str
    success: str
    cancel: str


@dataclass(frozen=True)
class Settlement:
    """A top-up after a callback: ``credited`` when this very call credited the wallet; ``message`` says
    why it is still pending."""

    top_up: TopUp
    credited: bool = False
    message: str | None = None
    code: int | str | None = None


def check_amount(amount: object, limits: Limits) -> int:
    """A top-up amount: an integer number of rials within the limits; ``INVALID_AMOUNT`` otherwise."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise DomainError("INVALID_AMOUNT", "The amount must be a whole number of rials.", field="amount")
    if not limits.min_amount <= amount <= limits.max_amount:
        raise DomainError(
            "INVALID_AMOUNT",
            f"The amount must be between {limits.min_amount:,} and {limits.max_amount:,} rials.",
            field="amount",
        )
    return amount


def _check_client_key(client_key: str) -> str:
    key = client_key.strip()
    problem = identifier_problem(key)
    if not key or len(key) > MAX_CLIENT_KEY or problem:
        raise DomainError(
            "INVALID_CLIENT_KEY",
            problem or f"The client key must be 1 to {MAX_CLIENT_KEY} characters.",
            field="clientKey",
        )
    return key


def _charge(gateway: GatewayName, tenant: Tenant, amount: int, limits: Limits) -> tuple[int, str]:
    if gateway == "zarinpal":
        return amount, "IRR"
    currency = tenant.currency.upper()
    rate = limits.rials_per_minor_unit.get(currency)
    if not rate or rate <= 0:
        raise DomainError(
            "CURRENCY_NOT_SUPPORTED",
            f"Top-ups in {currency} are not available: the platform has no rate for it.",
            field="amount",
        )
    charge = -(-amount // rate)
    if charge < STRIPE_MIN_CHARGE:
        raise DomainError(
            "INVALID_AMOUNT",
            f"Through Stripe the amount must be at least {STRIPE_MIN_CHARGE * rate:,} rials.",
            field="amount",
        )
    return charge, currency


_INSERT: Final = """
INSERT INTO top_ups (id, tenant_id, gateway, amount, charge_amount, charge_currency, status, client_key,
                     created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, now(), now())
ON CONFLICT (tenant_id, client_key) DO NOTHING
RETURNING id
"""


async def start(
    connection: BaseDBAsyncClient,
    *,
    tenant: Tenant,
    amount: int,
    client_key: str,
    created_by: UUID | None,
    gateways: Gateways,
    limits: Limits,
    urls: Callable[[UUID], ReturnUrls],
) -> TopUp:
    """Start (or find again) the top-up ``client_key`` of ``amount`` rials and its payment at the gateway.

    Runs in the caller's transaction; a gateway refusal raises and so leaves nothing behind. Raises
    ``INVALID_AMOUNT``, ``INVALID_CLIENT_KEY``, ``CLIENT_KEY_REUSED``, ``CURRENCY_NOT_SUPPORTED``,
    ``GATEWAY_NOT_CONFIGURED``, ``GATEWAY_UNAVAILABLE`` and ``GATEWAY_REFUSED``.
    """
    amount = check_amount(amount, limits)
    key = _check_client_key(client_key)
    name = gateways.name_for(tenant)
    charge_amount, currency = _charge(name, tenant, amount, limits)
    await connection.execute_query_dict(
        _INSERT, [uuid4(), tenant.id, name, amount, charge_amount, currency, key, created_by]
    )
    top_up = (
        await TopUp.filter(tenant_id=tenant.id, client_key=key).using_db(connection).select_for_update().get()
    )
    if top_up.amount != amount:
        raise DomainError(
            "CLIENT_KEY_REUSED",
            "This client key started a top-up of another amount; use a new key for a new top-up.",
            field="clientKey",
        )
    if top_up.authority is not None:
        return top_up
    started = await _open(top_up, tenant=tenant, gateways=gateways, urls=urls(top_up.id))
    top_up.authority, top_up.payment_url = started.authority, started.payment_url
    await top_up.save(using_db=connection, update_fields=["authority", "payment_url", "updated_at"])
    return top_up


async def _open(top_up: TopUp, *, tenant: Tenant, gateways: Gateways, urls: ReturnUrls) -> StartedPayment:
    try:
        if top_up.gateway == "zarinpal":
            if gateways.zarinpal is None:
                raise _not_configured("Zarinpal")
            return await gateways.zarinpal.request_payment(
                amount=top_up.charge_amount,
                callback_url=urls.callback,
                description=f"شارژ کیف پول {tenant.name}"[:200],
                order_id=str(top_up.id),
            )
        if gateways.stripe is None:
            raise _not_configured("Stripe")
        return await gateways.stripe.create_session(
            amount=top_up.charge_amount,
            currency=top_up.charge_currency,
            product_name=f"Wallet top-up: {tenant.name}",
            success_url=urls.success,
            cancel_url=urls.cancel,
            top_up_id=str(top_up.id),
            tenant_id=str(tenant.id),
        )
    except GatewayError as exc:
        if exc.outcome == "unavailable":
            raise DomainError(
                "GATEWAY_UNAVAILABLE", "The payment gateway cannot be reached now; try again shortly."
            ) from exc
        logger.error("%s refused a top-up start: %s", exc.gateway, exc.message)
        raise DomainError("GATEWAY_REFUSED", "The payment gateway refused the payment.") from exc


def _not_configured(gateway: str) -> DomainError:
    return DomainError("GATEWAY_NOT_CONFIGURED", f"{gateway} top-ups are not configured on this platform.")


async def settle(
    connection: BaseDBAsyncClient,
    *,
    top_up_id: UUID,
    gateways: Gateways,
    authority: str | None = None,
    tenant_id: UUID | None = None,
    gave_up: bool = False,
    patient: bool = False,
    now: datetime | None = None,
) -> Settlement:
    """Verify a pending top-up with its gateway and credit the wallet once; see the module docstring.

    ``authority``, when the callback names one, must be the top-up's (``AUTHORITY_MISMATCH`` otherwise);
    ``tenant_id``, when known, must be its store. ``gave_up``: the payer said they did not pay, so a final
    "not paid" cancels rather than fails. ``patient``: the payer may still be paying (an owner's check,
    not a callback), so "not paid" leaves it pending. Runs in the caller's transaction.
    """
    top_up = await _named(top_up_id, tenant_id).using_db(connection).select_for_update().first()
    if top_up is None:
        raise NotFound("Top-up")
    if authority is not None and authority != top_up.authority:
        raise DomainError("AUTHORITY_MISMATCH", "That payment is not this top-up's.", field="Authority")
    if top_up.status != "pending":
        return Settlement(top_up)
    try:
        verified = await _verify(top_up, gateways)
    except GatewayError as exc:
        if not exc.final or (patient and exc.outcome == "not_paid"):
            return Settlement(top_up, message=exc.message, code=exc.code)
        top_up.status = "cancelled" if gave_up and exc.outcome == "not_paid" else "failed"
        top_up.failure_code = str(exc.code or exc.outcome)[:32]
        top_up.failure_message = exc.message[:300]
        await top_up.save(
            using_db=connection, update_fields=["status", "failure_code", "failure_message", "updated_at"]
        )
        logger.info("top-up %s %s: %s", top_up.id, top_up.status, exc.message)
        return Settlement(top_up)
    entry = await wallet.top_up(
        top_up.tenant_id,
        amount=top_up.amount,
        key=f"top-up:{top_up.id}",
        reference=f"{top_up.gateway}:{top_up.authority}",
        connection=connection,
    )
    top_up.status, top_up.ref_id, top_up.card_mask = "paid", verified.ref_id[:64], verified.card_mask
    top_up.wallet_entry_id, top_up.paid_at = entry.id, now or datetime.now(UTC)
    await top_up.save(
        using_db=connection,
        update_fields=["status", "ref_id", "card_mask", "wallet_entry_id", "paid_at", "updated_at"],
    )
    logger.info("top-up %s paid (%s rials, ref %s)", top_up.id, top_up.amount, top_up.ref_id)
    return Settlement(top_up, credited=True)


async def already_settled(
    *, top_up_id: UUID, authority: str | None = None, tenant_id: UUID | None = None
) -> TopUp | None:
    """The top-up when it is no longer pending (read without a lock: a settled top-up never changes
    again), so a repeated callback answers without a transaction; None when :func:`settle` must decide."""
    top_up = await _named(top_up_id, tenant_id).first()
    if (
        top_up is None
        or top_up.status == "pending"
        or (authority is not None and authority != top_up.authority)
    ):
        return None
    return top_up


def _named(top_up_id: UUID, tenant_id: UUID | None) -> QuerySet[TopUp]:
    """The top-up ``top_up_id``, of the store ``tenant_id`` when that is known."""
    query = TopUp.filter(id=top_up_id)
    return query if tenant_id is None else query.filter(tenant_id=tenant_id)


async def fail(
    connection: BaseDBAsyncClient,
    *,
    top_up_id: UUID,
    tenant_id: UUID,
    authority: str,
    code: str,
    message: str,
) -> TopUp:
    """Fail a pending top-up the gateway itself said was not paid (a signed event), under its row lock; a
    top-up no longer pending is left as it is."""
    top_up = (
        await TopUp.filter(tenant_id=tenant_id, id=top_up_id).using_db(connection).select_for_update().first()
    )
    if top_up is None:
        raise NotFound("Top-up")
    if authority != top_up.authority:
        raise DomainError("AUTHORITY_MISMATCH", "That payment is not this top-up's.", field="authority")
    if top_up.status == "pending":
        top_up.status, top_up.failure_code, top_up.failure_message = "failed", code[:32], message[:300]
        await top_up.save(
            using_db=connection, update_fields=["status", "failure_code", "failure_message", "updated_at"]
        )
    return top_up


async def _verify(top_up: TopUp, gateways: Gateways) -> VerifiedPayment:
    if top_up.authority is None:
        raise GatewayError(top_up.gateway, "invalid_authority", "The top-up never reached its gateway.")
    if top_up.gateway == "zarinpal":
        if gateways.zarinpal is None:
            raise GatewayError("zarinpal", "merchant_rejected", "Zarinpal is not configured.")
        return await gateways.zarinpal.verify(authority=top_up.authority, amount=top_up.charge_amount)
    if gateways.stripe is None:
        raise GatewayError("stripe", "merchant_rejected", "Stripe is not configured.")
    return await gateways.stripe.verify(
        session_id=top_up.authority, amount=top_up.charge_amount, currency=top_up.charge_currency
    )


async def find(*, tenant_id: UUID, top_up_id: UUID) -> TopUp:
    """The store's top-up, or ``NOT_FOUND`` (also for another store's)."""
    top_up = await TopUp.get_or_none(tenant_id=tenant_id, id=top_up_id)
    if top_up is None:
        raise NotFound("Top-up")
    return top_up


async def tenant_of(top_up_id: UUID) -> UUID | None:
    """Whose top-up this is (a gateway's callback names only the top-up)."""
    row = await TopUp.filter(id=top_up_id).values_list("tenant_id", flat=True)
    return row[0] if row else None  # type: ignore[return-value]
