"""Checkout amounts finer than the currency's minor unit are rounded down: credit never exceeds the cart."""

from __future__ import annotations

import pytest

from tests.feature.incentives.test_checkout_graphql import HOLD, QUOTE, funded, hold_input
from tests.support.api import ApiClient
from tests.support.factories import make_owner, make_store_key


async def test_a_fractional_cart_total_offers_at_most_the_cart_rounded_down(client: ApiClient) -> None:
    """A 1000.5 toman cart with 5000 toman of credit offers 1000 (it offered 1001, more than the cart)."""
    # given
    owner = await make_owner(currency="IRT")
    key = await make_store_key(owner)
    customer = await funded(owner, 5_000)
    who = {"externalId": customer.external_id}
    # when
    result = await client.graphql(
        QUOTE, {"customer": who, "cartTotal": "1000.5", "currency": "IRT"}, token=key
    )
    # then
    quote = result.ok()["creditQuote"]["quote"]
    assert (quote["available"], quote["maxUsable"]) == ("5000", "1000")


@pytest.mark.parametrize(("cart", "usable"), [("10.005", "10.00"), ("10.009", "10.00"), ("0.004", "0.00")])
async def test_cents_are_rounded_down_too(client: ApiClient, cart: str, usable: str) -> None:
    """In USD a cart of 10.009 offers 10.00 of a larger credit, never 10.01."""
    # given
    owner = await make_owner(currency="USD")
    key = await make_store_key(owner)
    customer = await funded(owner, 5_000)
    who = {"externalId": customer.external_id}
    # when
    result = await client.graphql(QUOTE, {"customer": who, "cartTotal": cart, "currency": "USD"}, token=key)
    # then
    assert result.ok()["creditQuote"]["quote"]["maxUsable"] == usable


async def test_the_rest_quote_never_offers_more_than_the_cart(client: ApiClient) -> None:
    """POST /rest/v1/credit/quote with cart_total 1000.5 answers max_usable 1000."""
    # given
    owner = await make_owner(currency="IRT")
    key = await make_store_key(owner)
    customer = await funded(owner, 5_000)
    # when
    response = await client.http.post(
        "/rest/v1/credit/quote",
        json={"customer": {"external_id": customer.external_id}, "cart_total": "1000.5", "currency": "IRT"},
        headers={"Authorization": f"Bearer {key}"},
    )
    # then
    assert response.status_code == 200
    assert response.json()["max_usable"] == "1000"


async def test_a_fractional_hold_takes_no_more_than_was_asked(client: ApiClient) -> None:
    """Holding 1000.5 toman takes 1000, so the discount the store applies covers what was taken."""
    # given
    owner = await make_owner(currency="IRT")
    key = await make_store_key(owner)
    customer = await funded(owner, 5_000)
    # when
    result = await client.graphql(HOLD, hold_input(customer, "1000.5"), token=key)
    # then
    hold = result.ok()["holdCredit"]["hold"]
    assert (hold["held"], hold["available"]) == ("1000", "4000")
