"""The Stripe Checkout adapter (the maintained ``stripe`` library) against a local server speaking Stripe's
Checkout Sessions API, and its webhook signature check against Stripe's real signing scheme."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from domain.payments.gateway import GatewayError
from domain.payments.stripe_checkout import StripeCheckout, WebhookRefused
from tests.support.stripe_server import StripeServer, sign


@pytest.fixture
def stripe_api() -> Iterator[StripeServer]:
    with StripeServer() as server:
        yield server


@pytest.fixture
async def checkout(stripe_api: StripeServer) -> AsyncIterator[StripeCheckout]:
    adapter = StripeCheckout(
        stripe_api.api_key,
        webhook_secret=stripe_api.webhook_secret,
        api_base=stripe_api.base_url,
        timeout=2.0,
        max_network_retries=0,
    )
    yield adapter
    await adapter.aclose()


async def open_session(checkout: StripeCheckout, *, amount: int = 2_500, top_up: str = "t-1") -> str:
    started = await checkout.create_session(
        amount=amount,
        currency="EUR",
        product_name="Wallet top-up",
        success_url="https://revisit.example/done",
        cancel_url="https://revisit.example/cancelled",
        top_up_id=top_up,
        tenant_id="store-1",
    )
    return started.authority


async def test_a_session_is_a_payment_in_minor_units_naming_the_top_up(
    stripe_api: StripeServer, checkout: StripeCheckout
) -> None:
    """The session is mode=payment, one line of 2,500 minor units of eur, with client_reference_id and
    metadata naming the top-up and the store; the answer is its id and Stripe's URL."""
    # when
    started = await checkout.create_session(
        amount=2_500,
        currency="EUR",
        product_name="Wallet top-up",
        success_url="https://revisit.example/done",
        cancel_url="https://revisit.example/cancelled",
        top_up_id="t-1",
        tenant_id="store-1",
    )
    # then
    form = stripe_api.created[0]
    assert started.authority.startswith("cs_test_")
    assert started.payment_url == stripe_api.sessions[started.authority]["url"]
    assert form["mode"] == "payment"
    assert form["line_items"]["0"]["price_data"] == {
        "currency": "eur",
        "unit_amount": "2500",
        "product_data": {"name": "Wallet top-up"},
    }
    assert form["client_reference_id"] == "t-1"
    assert form["metadata"] == {"top_up_id": "t-1", "tenant_id": "store-1"}


async def test_the_same_top_up_opens_one_session_however_often_it_is_started(
    stripe_api: StripeServer, checkout: StripeCheckout
) -> None:
    """The idempotency key is the top-up's: a retried start gets the first session back."""
    # when
    first = await open_session(checkout)
    second = await open_session(checkout)
    # then
    assert first == second
    assert len(stripe_api.sessions) == 1


async def test_only_a_paid_session_of_the_same_amount_verifies(
    stripe_api: StripeServer, checkout: StripeCheckout
) -> None:
    """Open: not yet (unavailable, not final); paid: verified with the payment intent as reference; paid
    but for another amount: amount_mismatch; expired: not_paid (final)."""
    # given
    session = await open_session(checkout)
    expired = await open_session(checkout, top_up="t-2")
    stripe_api.expire(expired)
    # when
    with pytest.raises(GatewayError) as still_open:
        await checkout.verify(session_id=session, amount=2_500, currency="EUR")
    stripe_api.complete(session)
    verified = await checkout.verify(session_id=session, amount=2_500, currency="EUR")
    with pytest.raises(GatewayError) as other_amount:
        await checkout.verify(session_id=session, amount=9_999, currency="EUR")
    with pytest.raises(GatewayError) as gone:
        await checkout.verify(session_id=expired, amount=2_500, currency="EUR")
    # then
    assert (still_open.value.outcome, still_open.value.final) == ("unavailable", False)
    assert verified.ref_id.startswith("pi_")
    assert verified.card_mask == "visa •••• 4242"
    assert other_amount.value.outcome == "amount_mismatch"
    assert (gone.value.outcome, gone.value.final) == ("not_paid", True)


async def test_library_errors_become_outcomes(stripe_api: StripeServer, checkout: StripeCheckout) -> None:
    """A 5xx is unavailable, a wrong key merchant_rejected, a session Stripe does not know
    invalid_authority, an amount under Stripe's minimum invalid_request."""
    # given
    stripe_api.fail_next(503)
    wrong_key = StripeCheckout("sk_test_wrong", webhook_secret="x", api_base=stripe_api.base_url)
    # when
    with pytest.raises(GatewayError) as down:
        await open_session(checkout)
    with pytest.raises(GatewayError) as bad_key:
        await open_session(wrong_key)
    with pytest.raises(GatewayError) as missing:
        await checkout.verify(session_id="cs_test_nothing", amount=1, currency="EUR")
    with pytest.raises(GatewayError) as too_small:
        await open_session(checkout, amount=49, top_up="t-3")
    # then
    assert [error.value.outcome for error in (down, bad_key, missing, too_small)] == [
        "unavailable",
        "merchant_rejected",
        "invalid_authority",
        "invalid_request",
    ]


async def test_a_signed_webhook_is_read_and_forged_unsigned_or_stale_ones_are_refused(
    stripe_api: StripeServer, checkout: StripeCheckout
) -> None:
    """Stripe's t=…,v1=… HMAC under the endpoint secret is accepted; no header, another secret, a changed
    body, or a signature older than the tolerance are refused before the body is read."""
    # given
    session = await open_session(checkout)
    body, signature = stripe_api.complete(session)
    stale = sign(body, stripe_api.webhook_secret, timestamp=int(time.time()) - 3_600)
    tampered = body.replace(b'"paid"', b'"unpaid"')
    # when
    event = checkout.read_webhook(body, signature)
    refusals = []
    for payload, header in (
        (body, None),
        (body, sign(body, "whsec_someone_else")),
        (tampered, signature),
        (body, stale),
        (b"not json", sign(b"not json", stripe_api.webhook_secret)),
    ):
        with pytest.raises(WebhookRefused):
            checkout.read_webhook(payload, header)
        refusals.append(header)
    # then
    assert event is not None
    assert (event.type, event.session_id, event.top_up_id, event.tenant_id) == (
        "checkout.session.completed",
        session,
        "t-1",
        "store-1",
    )
    assert len(refusals) == 5


async def test_events_of_other_kinds_are_ignored(stripe_api: StripeServer, checkout: StripeCheckout) -> None:
    """A correctly signed event that is not about a Checkout Session's payment is read as None."""
    # given
    payload = json.dumps(
        {"id": "evt_1", "object": "event", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
    ).encode()
    # when
    event = checkout.read_webhook(payload, sign(payload, stripe_api.webhook_secret))
    # then
    assert event is None
