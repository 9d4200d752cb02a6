"""Top-ups through Stripe Checkout for a store abroad: the session, the signed webhook (repeated, forged,
unsigned, stale, expired), and the payer's return page."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID

from domain.payments.models import TopUp
from tests.feature.payments.conftest import EUR_RATE, credited, credits
from tests.support.api import ApiClient
from tests.support.factories import Owner, make_owner
from tests.support.stripe_server import StripeServer, sign

START = """
mutation Start($amount: Money!, $key: String!) {
  startTopUp(amount: $amount, clientKey: $key) {
    topUp { id status amount chargeAmount chargeCurrency gateway }
    paymentUrl
    errors { code field message }
  }
}
"""
WEBHOOK = "/rest/v1/payments/stripe/webhook"
AMOUNT = 2_750_000  # rials: 250 cents at 11,000 rials a cent, rounded up


async def abroad() -> Owner:
    return await make_owner(currency="EUR", country="DE", locale="en", timezone="Europe/Berlin")


async def start(client: ApiClient, owner: Owner, key: str = "k-1") -> dict[str, Any]:
    result = await client.graphql(START, {"amount": AMOUNT, "key": key}, token=owner.token)
    payload: dict[str, Any] = result.ok()["startTopUp"]
    assert payload["errors"] == [], payload["errors"]
    return payload


async def post(client: ApiClient, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await client.http.post(WEBHOOK, content=body, headers=headers)


def session_of(stripe_api: StripeServer) -> str:
    [session] = stripe_api.sessions
    return session


async def test_a_store_abroad_pays_through_a_checkout_session_in_its_currency(
    client: ApiClient, stripe_api: StripeServer
) -> None:
    """A German store's top-up of 2,750,000 rials is a Checkout Session of 250 euro cents (the rate,
    rounded up) naming the top-up; the payer goes to the session's URL."""
    # given
    owner = await abroad()
    # when
    payload = await start(client, owner)
    # then
    top_up = payload["topUp"]
    session = stripe_api.sessions[session_of(stripe_api)]
    assert (top_up["gateway"], top_up["chargeAmount"], top_up["chargeCurrency"]) == ("STRIPE", 250, "EUR")
    assert -(-AMOUNT // EUR_RATE) == 250
    assert payload["paymentUrl"] == session["url"]
    assert session["client_reference_id"] == top_up["id"]
    assert session["metadata"] == {"top_up_id": top_up["id"], "tenant_id": str(owner.tenant.id)}
    assert session["success_url"] == f"https://revisit.example/rest/v1/payments/stripe/return/{top_up['id']}"


async def test_the_signed_completed_webhook_credits_once_however_often_it_comes(
    client: ApiClient, stripe_api: StripeServer
) -> None:
    """checkout.session.completed, signed: the session is retrieved, paid in full, credited in rials.
    Sent again, and three times at once: 200 each time, still one credit."""
    # given
    owner = await abroad()
    payload = await start(client, owner)
    body, signature = stripe_api.complete(session_of(stripe_api))
    # when
    first = await post(client, body, signature)
    again = await asyncio.gather(*(post(client, body, signature) for _ in range(3)))
    # then
    assert first.status_code == 200 and first.json() == {"received": True, "status": "paid"}
    assert {answer.status_code for answer in again} == {200}
    row = await TopUp.get(id=UUID(payload["topUp"]["id"]))
    assert (row.status, row.ref_id, row.card_mask) == ("paid", f"pi_{row.authority[8:]}", "visa •••• 4242")
    assert await credited(owner) == AMOUNT
    assert await credits(owner) == 1


async def test_forged_unsigned_and_stale_webhooks_are_refused_and_credit_nothing(
    client: ApiClient, stripe_api: StripeServer
) -> None:
    """No signature, a signature under another secret, a body changed after signing, a signature an hour
    old: 400 INVALID_SIGNATURE, the top-up pending, Stripe never asked; a 6 MiB body: 413 unread."""
    # given
    owner = await abroad()
    payload = await start(client, owner)
    body, signature = stripe_api.complete(session_of(stripe_api))
    retrieved_before = len(stripe_api.retrieved)
    attempts = [
        (body, None),
        (body, sign(body, "whsec_an_attacker")),
        (body.replace(b'"amount_total": 250', b'"amount_total": 1'), signature),
        (body, sign(body, stripe_api.webhook_secret, timestamp=int(time.time()) - 3_600)),
    ]
    # when
    answers = [await post(client, payload_, header) for payload_, header in attempts]
    oversized = await post(client, b"{" + b" " * (6 * 1024 * 1024) + b"}", signature)
    # then
    assert oversized.status_code == 413
    assert [answer.status_code for answer in answers] == [400, 400, 400, 400]
    assert {answer.json()["error"]["code"] for answer in answers} == {"INVALID_SIGNATURE"}
    assert (await TopUp.get(id=UUID(payload["topUp"]["id"]))).status == "pending"
    assert len(stripe_api.retrieved) == retrieved_before
    assert await credits(owner) == 0


async def test_a_signed_event_for_an_unpaid_session_credits_nothing(
    client: ApiClient, stripe_api: StripeServer
) -> None:
    """A correctly signed completed event whose session Stripe says is not paid (an async payment still
    under way): 200, the top-up stays pending, nothing credited."""
    # given
    owner = await abroad()
    await start(client, owner)
    body, signature = stripe_api.event("checkout.session.completed", session_of(stripe_api))
    # when
    answer = await post(client, body, signature)
    # then
    assert answer.status_code == 200 and answer.json()["status"] == "pending"
    assert await credits(owner) == 0


async def test_an_expired_session_cancels_the_top_up(client: ApiClient, stripe_api: StripeServer) -> None:
    """checkout.session.expired: the session is expired at Stripe too, so the top-up is cancelled."""
    # given
    owner = await abroad()
    payload = await start(client, owner)
    body, signature = stripe_api.expire(session_of(stripe_api))
    # when
    answer = await post(client, body, signature)
    # then
    assert answer.json() == {"received": True, "status": "cancelled"}
    assert (await TopUp.get(id=UUID(payload["topUp"]["id"]))).status == "cancelled"


async def test_an_event_naming_another_stores_top_up_changes_nothing(
    client: ApiClient, stripe_api: StripeServer
) -> None:
    """A signed event whose metadata names this top-up but another store: ignored (200), not credited."""
    # given
    owner, other = await abroad(), await abroad()
    await start(client, owner)
    session = session_of(stripe_api)
    stripe_api.complete(session)
    stripe_api.sessions[session]["metadata"]["tenant_id"] = str(other.tenant.id)
    body, signature = stripe_api.event("checkout.session.completed", session)
    # when
    answer = await post(client, body, signature)
    # then
    assert answer.status_code == 200 and "ignored" in answer.json()
    assert await credits(owner) == 0 and await credits(other) == 0


async def test_stripe_down_answers_503_so_the_event_comes_again(
    client: ApiClient, stripe_api: StripeServer
) -> None:
    """Retrieving the session fails (Stripe 500, after the library's retries): 503, pending; the same event
    later credits it."""
    # given
    owner = await abroad()
    await start(client, owner)
    body, signature = stripe_api.complete(session_of(stripe_api))
    stripe_api.fail_next(500, times=3)
    # when
    down = await post(client, body, signature)
    later = await post(client, body, signature)
    # then
    assert down.status_code == 503
    assert later.status_code == 200
    assert await credits(owner) == 1


async def test_the_payers_return_page_settles_before_the_webhook(
    client: ApiClient, stripe_api: StripeServer
) -> None:
    """The browser comes back to the success URL before any webhook: the session is verified, the top-up
    paid and credited, and the webhook that follows changes nothing."""
    # given
    owner = await abroad()
    payload = await start(client, owner)
    body, signature = stripe_api.complete(session_of(stripe_api))
    # when
    page = await client.http.get(f"/rest/v1/payments/stripe/return/{payload['topUp']['id']}")
    webhook = await post(client, body, signature)
    # then
    assert page.status_code == 200 and "Payment received" in page.text
    assert webhook.json()["status"] == "paid"
    assert await credits(owner) == 1


async def test_a_currency_without_a_rate_cannot_top_up_through_stripe(client: ApiClient) -> None:
    """A store in pounds, for which the platform set no rate: CURRENCY_NOT_SUPPORTED, nothing started."""
    # given
    owner = await make_owner(currency="GBP", country="GB", locale="en", timezone="Europe/London")
    # when
    result = await client.graphql(START, {"amount": AMOUNT, "key": "k"}, token=owner.token)
    # then
    assert result.ok()["startTopUp"]["errors"][0]["code"] == "CURRENCY_NOT_SUPPORTED"
    assert await TopUp.filter(tenant_id=owner.tenant.id).count() == 0


async def test_an_amount_under_stripes_minimum_charge_is_refused_before_stripe_is_asked(
    client: ApiClient, stripe_api: StripeServer
) -> None:
    """100,000 rials is 10 euro cents, under Stripe's 50: INVALID_AMOUNT naming the rials that are enough."""
    # given
    owner = await abroad()
    # when
    result = await client.graphql(START, {"amount": 100_000, "key": "small"}, token=owner.token)
    # then
    [error] = result.ok()["startTopUp"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_AMOUNT", "amount")
    assert f"{50 * EUR_RATE:,} rials" in error["message"]
    assert stripe_api.created == []
