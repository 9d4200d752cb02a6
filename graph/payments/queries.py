"""Payments queries: the store's top-ups and its monthly invoices."""

from __future__ import annotations

import strawberry

from domain.payments import invoices
from domain.payments.models import TopUp as TopUpModel
from domain.tenancy import service as tenancy
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.core.pagination import Connection, paginate
from graph.payments.types import READ, Invoice, TopUp


@strawberry.type
class PaymentsQuery:
    @strawberry.field(description="The store's top-ups, newest first.", permission_classes=READ)
    async def top_ups(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[TopUp]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        settings = info.context.settings
        return await paginate(
            TopUpModel.filter(tenant_id=scope),
            first=first,
            after=after,
            cap=settings.page_size_cap,
            to_node=lambda row: TopUp.from_model(row, settings=settings),
        )

    @strawberry.field(
        description=(
            "The months of the store's calendar (Jalali or Gregorian, in its timezone) with charges, newest "
            f"first (at most {invoices.MAX_MONTHS_LISTED}), each with its printable invoice."
        ),
        permission_classes=READ,
    )
    async def invoices(self, info: Info, tenant_id: strawberry.ID | None = None) -> list[Invoice]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        tenant = await tenancy.get_tenant(tenant_id=scope, field="tenantId")
        settings = info.context.settings
        return [
            Invoice.from_month(month, settings=settings) for month in await invoices.charged_months(tenant)
        ]
