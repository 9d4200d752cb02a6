"""Incentives queries: a customer's credit balances and ledger, and what they could spend at checkout."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from domain.errors import DomainError
from domain.incentives import checkout, ledger
from domain.tenancy import service as tenancy
from graph.core.checkout import CustomerRefInput, StoreMoney
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid, to_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can
from graph.core.scalars import Money
from graph.incentives.types import (
    CreditAccount,
    CreditEntry,
    CreditError,
    CreditErrorCode,
    CreditQuote,
    CreditQuotePayload,
)

READ = [Can("credit", "read")]


@strawberry.type
class IncentivesQuery:
    @strawberry.field(description="A customer's credit balances as of now.", permission_classes=READ)
    async def credit_account(
        self, info: Info, customer_id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> CreditAccount:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        customer = await ledger.get_customer(
            tenant_id=scope, customer_id=to_uuid(customer_id, what="Customer", field="customerId")
        )
        balances = await ledger.balances(tenant_id=scope, customer_id=customer.id, now=datetime.now(UTC))
        tenant = await tenancy.get_tenant(tenant_id=scope)
        return CreditAccount(
            customer_id=customer_id,
            available=Money(balances.available),
            pending=Money(balances.pending),
            currency=tenant.currency,
        )

    @strawberry.field(
        description=(
            "A customer's credit ledger, newest first; `kinds` keeps only lines of those kinds (e.g. "
            '["expiry", "adjustment"]; see CreditEntry.kind).'
        ),
        permission_classes=READ,
    )
    async def credit_ledger(
        self,
        info: Info,
        customer_id: strawberry.ID,
        tenant_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        kinds: list[str] | None = None,
    ) -> Connection[CreditEntry]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        customer = await ledger.get_customer(
            tenant_id=scope, customer_id=to_uuid(customer_id, what="Customer", field="customerId")
        )
        entries = ledger.entries(tenant_id=scope, customer_id=customer.id)
        if kinds is not None:
            unknown = sorted(set(kinds) - ledger.KINDS)
            if unknown:
                raise DomainError("INVALID", f"Unknown kinds: {', '.join(unknown)[:200]}.", field="kinds")
            entries = entries.filter(kind__in=kinds)
        return await paginate(
            entries,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=CreditEntry.from_model,
        )

    @strawberry.field(
        description=(
            "What a customer at the checkout could spend on a cart: their available credit and, of it, "
            "at most the cart total. A customer Revisit does not know has nothing. Amounts are decimal "
            "strings in major units of the store's currency, which `currency` must name; a cart total "
            "finer than the currency's minor unit is rounded down (1000.5 IRT can take at most 1000)."
        ),
        permission_classes=READ,
        extensions=errors_as_data(CreditQuotePayload, CreditError, CreditErrorCode),
    )
    async def credit_quote(
        self,
        info: Info,
        customer: CustomerRefInput,
        cart_total: str,
        currency: str,
        tenant_id: strawberry.ID | None = None,
    ) -> CreditQuotePayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        money = await StoreMoney.of(scope, currency=currency)
        quote = await checkout.quote(
            tenant_id=scope,
            customer_in=customer.to_customer_in(country=money.country),
            cart_total_minor=money.minor(cart_total, field="cartTotal", round_down=True),
            now=datetime.now(UTC),
        )
        return CreditQuotePayload(quote=CreditQuote.from_domain(quote, money))
