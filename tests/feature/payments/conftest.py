"""The app under test talks to local servers that speak Zarinpal's and Stripe's protocols."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.billing.models import WalletEntry
from revisit.settings import Settings
from tests.support.factories import TEST_SECRET, Owner
from tests.support.stripe_server import StripeServer
from tests.support.zarinpal_server import ZarinpalServer

EUR_RATE = 11_000
"""Rials one euro cent buys in these tests."""


@pytest.fixture
def zarinpal() -> Iterator[ZarinpalServer]:
    with ZarinpalServer() as server:
        yield server


@pytest.fixture
def stripe_api() -> Iterator[StripeServer]:
    with StripeServer() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, zarinpal: ZarinpalServer, stripe_api: StripeServer) -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        log_json=False,
        public_url="https://revisit.example",
        zarinpal_merchant_id=zarinpal.merchant_id,
        zarinpal_base_url=zarinpal.base_url,
        stripe_secret_key=stripe_api.api_key,
        stripe_webhook_secret=stripe_api.webhook_secret,
        stripe_api_base=stripe_api.base_url,
        stripe_rials_per_minor_unit={"EUR": EUR_RATE},
        payment_timeout_seconds=2.0,
        max_requests_in_flight=200,  # the concurrent callbacks below are not turned away as overload
    )


async def credits(owner: Owner) -> int:
    """The wallet credits of top-ups (a test store may hold other funds)."""
    return await WalletEntry.filter(
        tenant_id=owner.tenant.id, kind="top_up", idempotency_key__startswith="top-up:"
    ).count()


async def credited(owner: Owner) -> int:
    """Rials the store's top-ups credited."""
    rows = await WalletEntry.filter(
        tenant_id=owner.tenant.id, kind="top_up", idempotency_key__startswith="top-up:"
    ).values_list("amount", flat=True)
    return sum(int(amount) for amount in rows)  # type: ignore[arg-type]
