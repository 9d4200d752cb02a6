"""The coupons context's part of the schema."""

from strawberry.tools import merge_types

from graph.coupons.mutations.archive_coupon_template import ArchiveCouponTemplateMutation
from graph.coupons.mutations.create_coupon_template import CreateCouponTemplateMutation
from graph.coupons.mutations.generate_coupons import GenerateCouponsMutation
from graph.coupons.mutations.issue_coupon import IssueCouponMutation
from graph.coupons.mutations.revoke_coupon import RevokeCouponMutation
from graph.coupons.mutations.update_coupon_template import UpdateCouponTemplateMutation
from graph.coupons.queries import CouponsQuery

Query = CouponsQuery
Mutation = merge_types(
    "CouponMutation",
    (
        CreateCouponTemplateMutation,
        UpdateCouponTemplateMutation,
        ArchiveCouponTemplateMutation,
        IssueCouponMutation,
        GenerateCouponsMutation,
        RevokeCouponMutation,
    ),
)
