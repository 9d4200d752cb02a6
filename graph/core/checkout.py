"""What the checkout operations share: who is at the checkout, and amounts as a store's plugin writes them.

Checkout operations (credit quotes, holds, coupon checks) speak the plugin's language rather than the
rest of the schema's: amounts are decimal strings in major units of the store's currency
(``"125000.00"`` toman), the same as in store events, with the currency named beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import strawberry

from domain.commerce.money import from_minor, to_minor
from domain.customers.service import CustomerIn, safe_phone
from domain.errors import DomainError
from domain.events.schema import MAX_EMAIL_LENGTH, MAX_EXTERNAL_ID_LENGTH
from domain.tenancy import service as tenancy
from domain.text import identifier_problem

GUEST_IDS = ("", "0")
"""Customer ids that mean "a guest": WooCommerce reports guests as customer 0."""


@strawberry.input(
    description=(
        "Who is at the checkout. Revisit recognises a customer by the store's customer id, else by "
        "phone, else by e-mail, so give at least one."
    )
)
class CustomerRefInput:
    external_id: str | None = strawberry.field(
        default=None, description="The store's customer id; leave it out (or send 0) for a guest."
    )
    phone: str | None = strawberry.field(
        default=None, description="The phone as typed: local forms and Persian digits are fine."
    )
    email: str | None = None

    def to_customer_in(self, *, country: str) -> CustomerIn:
        """The details to find the customer by; a phone that is not a valid number is left out.

        ``country`` is the store's: it decides how a phone without a country code is read. An id or
        e-mail longer than any stored one, or with control characters, is ``INVALID`` naming it.
        """
        external_id = (self.external_id or "").strip()
        _check_identifier("customer.externalId", external_id, MAX_EXTERNAL_ID_LENGTH)
        _check_identifier("customer.email", self.email or "", MAX_EMAIL_LENGTH)
        return CustomerIn(
            external_id=None if external_id in GUEST_IDS else external_id,
            phone=safe_phone(self.phone, country=country),
            email=self.email,
        )


def _check_identifier(field: str, value: str, limit: int) -> None:
    problem = identifier_problem(value)
    if problem is None and len(value) > limit:
        problem = f"At most {limit} characters"
    if problem:
        raise DomainError("INVALID", f"{field}: {problem}.", field=field)


@dataclass(frozen=True)
class StoreMoney:
    """Converts between a store's minor units and the decimal strings checkout operations use; knows
    the store's country too, which decides how the checkout's phone numbers are read."""

    currency: str
    country: str

    @classmethod
    async def of(cls, tenant_id: UUID, *, currency: str | None = None) -> StoreMoney:
        """The store's currency; ``CURRENCY_MISMATCH`` when the caller says it is another one."""
        tenant = await tenancy.get_tenant(tenant_id=tenant_id)
        if currency is not None and currency.strip().upper() != tenant.currency:
            raise DomainError(
                "CURRENCY_MISMATCH",
                f"The store's currency is {tenant.currency}, not {currency.strip()}.",
                field="currency",
            )
        return cls(tenant.currency, tenant.country)

    def minor(self, amount: str, *, field: str, round_down: bool = False) -> int:
        """``"125000.00"`` → 125000 for IRT; ``INVALID`` for text that is not a non-negative amount.

        With ``round_down``, what is finer than the currency's unit is dropped (``"1000.5"`` → 1000): for
        amounts a customer would spend, so credit never exceeds a cart or a hold what was asked.
        """
        try:
            return to_minor(amount, self.currency, field=field, round_down=round_down)
        except DomainError as exc:
            raise DomainError("INVALID", exc.message, field=field) from exc

    def major(self, minor: int) -> str:
        """125000 → ``"125000"`` for IRT, 1250 → ``"12.50"`` for USD."""
        return format(from_minor(minor, self.currency), "f")
