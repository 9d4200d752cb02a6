"""archiveCouponTemplate: stop issuing codes from a template (issued codes keep working)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.coupons import service as templates
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.coupons.types import WRITE, CouponTemplate, CouponTemplatePayload, coupon_errors


@strawberry.type
class ArchiveCouponTemplateMutation:
    @strawberry.mutation(
        description=(
            "Archive a template: it issues no more codes; codes already issued keep working until they "
            "expire or are revoked. Archiving again changes nothing."
        ),
        permission_classes=WRITE,
        extensions=coupon_errors(CouponTemplatePayload),
    )
    async def archive_coupon_template(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> CouponTemplatePayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        async with in_transaction():
            template = await templates.archive(
                tenant_id=scope, template_id=to_uuid(id, what="Coupon template"), now=datetime.now(UTC)
            )
        return CouponTemplatePayload(template=CouponTemplate.from_model(template))
