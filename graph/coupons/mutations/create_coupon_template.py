"""createCouponTemplate: what a coupon gives and on what terms."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

from domain.coupons import service as templates
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.coupons.mutations.inputs import CouponTemplateInput, terms
from graph.coupons.types import WRITE, CouponTemplate, CouponTemplatePayload, coupon_errors


@strawberry.type
class CreateCouponTemplateMutation:
    @strawberry.mutation(
        description=(
            "Create a coupon template. The same name and terms again answer with the template already "
            "made; the same name with other terms is NAME_TAKEN."
        ),
        permission_classes=WRITE,
        extensions=coupon_errors(CouponTemplatePayload),
    )
    async def create_coupon_template(
        self, info: Info, input: CouponTemplateInput, tenant_id: strawberry.ID | None = None
    ) -> CouponTemplatePayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        template_in = templates.parse(terms(input))
        async with in_transaction():
            template = await templates.create(tenant_id=scope, template_in=template_in)
        return CouponTemplatePayload(template=CouponTemplate.from_model(template))
