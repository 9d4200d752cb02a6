"""Paying into the merchant wallet through payment gateways (Zarinpal, Stripe Checkout)."""
