"""Factories for coupon tests: templates through the service, codes through issuing, carts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.coupons import issuing
from domain.coupons import service as templates
from domain.coupons.models import Coupon, CouponTemplate
from domain.coupons.validation import Cart, CartLine
from domain.tenancy.models import Tenant

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
_numbers = itertools.count(1)


async def make_template(tenant: Tenant | UUID, **terms: Any) -> CouponTemplate:
    """A template (15 % off unless ``terms`` say otherwise) with a unique name."""
    tenant_id = tenant.id if isinstance(tenant, Tenant) else tenant
    fields: dict[str, Any] = {"name": f"Template {next(_numbers)}", "kind": "percent", "value": 15, **terms}
    return await templates.create(tenant_id=tenant_id, template_in=templates.TemplateIn(**fields))


async def make_coupon(
    template: CouponTemplate, *, customer_id: UUID | None = None, now: datetime = NOW
) -> Coupon:
    """One code of ``template``, shared unless issued to ``customer_id``."""
    return await issuing.issue(
        tenant_id=template.tenant_id,  # type: ignore[attr-defined]
        template_id=template.id,
        customer_id=customer_id,
        origin_key=f"test:{next(_numbers)}",
        now=now,
    )


def cart(total: int = 1_000_000, *lines: tuple[str, int, tuple[str, ...]], shipping: int = 0) -> Cart:
    """A cart of ``total`` with ``lines`` given as (product id, total, category ids)."""
    return Cart(
        total=total,
        shipping_total=shipping,
        lines=tuple(CartLine(product_id=p, total=t, category_ids=c) for p, t, c in lines),
    )
