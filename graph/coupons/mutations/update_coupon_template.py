"""updateCouponTemplate: change some of a template's terms (codes already issued follow them)."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

from domain.coupons import service as templates
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.coupons.mutations.inputs import CouponTemplateChanges, terms
from graph.coupons.types import WRITE, CouponTemplate, CouponTemplatePayload, coupon_errors


@strawberry.type
class UpdateCouponTemplateMutation:
    @strawberry.mutation(
        description=(
            "Change a template's terms; codes already issued follow the new terms (their expiry stays as "
            "issued). An archived template is TEMPLATE_ARCHIVED."
        ),
        permission_classes=WRITE,
        extensions=coupon_errors(CouponTemplatePayload),
    )
    async def update_coupon_template(
        self,
        info: Info,
        id: strawberry.ID,
        input: CouponTemplateChanges,
        tenant_id: strawberry.ID | None = None,
    ) -> CouponTemplatePayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            template = await templates.update(
                tenant_id=scope, template_id=to_uuid(id, what="Coupon template"), changes=terms(input)
            )
        return CouponTemplatePayload(template=CouponTemplate.from_model(template))
