"""The coupons context's part of the schema (queries only, until Revisit issues coupons)."""

from graph.coupons.queries import CouponsQuery

Query = CouponsQuery
