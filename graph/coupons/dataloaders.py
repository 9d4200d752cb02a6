"""Batch functions of the coupons context: coupon templates by id, within a tenant."""

from __future__ import annotations

from collections.abc import Sequence

from domain.coupons.models import CouponTemplate
from graph.core.batching import TenantKey, rows_by_key


async def load_coupon_templates(keys: Sequence[TenantKey]) -> list[CouponTemplate | None]:
    return await rows_by_key(CouponTemplate, keys)
