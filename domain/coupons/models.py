"""Coupon templates, the codes issued from them, and their redemptions."""
