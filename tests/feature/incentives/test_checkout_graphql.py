"""The checkout operations through GraphQL: the same behaviour as REST, with errors as typed data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.customers.models import Customer
from domain.incentives import ledger
from tests.support.api import ApiClient
from tests.support.automation import give_credit, make_customer
from tests.support.factories import Owner, make_owner, make_store_key

QUOTE = """
query Quote($customer: CustomerRefInput!, $cartTotal: String!, $currency: String!, $t: ID) {
  creditQuote(customer: $customer, cartTotal: $cartTotal, currency: $currency, tenantId: $t) {
    quote { customerFound available maxUsable currency }
    errors { code field message }
  }
}
"""
HOLD = """
mutation Hold($input: HoldCreditInput!, $t: ID) {
  holdCredit(input: $input, tenantId: $t) {
    hold { orderExternalId held available currency }
    errors { code field message available }
  }
}
"""
RELEASE = """
mutation Release($order: String!, $t: ID) {
  releaseCredit(orderExternalId: $order, tenantId: $t) {
    release { orderExternalId released available currency }
    errors { code field message }
  }
}
"""
COUPON = """
query Coupon($code: String!, $customer: CustomerRefInput!, $t: ID) {
  validateCoupon(code: $code, customer: $customer, cartTotal: "1000", currency: "IRT", tenantId: $t) {
    check { valid code reason message }
    errors { code field message }
  }
}
"""


async def funded(owner: Owner, amount: int) -> Customer:
    customer = await make_customer(owner.tenant)
    await give_credit(customer, amount)
    return customer


def hold_input(customer: Customer, amount: str, currency: str = "IRT") -> dict[str, object]:
    return {
        "input": {
            "orderExternalId": "1042",
            "customer": {"externalId": customer.external_id},
            "amount": amount,
            "currency": currency,
        }
    }


async def test_a_store_key_quotes_holds_and_releases_credit(client: ApiClient) -> None:
    """The whole checkout conversation through GraphQL, amounts as decimal strings."""
    # given
    owner = await make_owner()
    key = await make_store_key(owner)
    customer = await funded(owner, 120_000)
    who = {"externalId": customer.external_id}
    # when
    quote = await client.graphql(
        QUOTE, {"customer": who, "cartTotal": "1250000.00", "currency": "IRT"}, token=key
    )
    hold = await client.graphql(HOLD, hold_input(customer, "50000"), token=key)
    release = await client.graphql(RELEASE, {"order": "1042"}, token=key)
    # then
    assert quote.ok()["creditQuote"] == {
        "quote": {"customerFound": True, "available": "120000", "maxUsable": "120000", "currency": "IRT"},
        "errors": [],
    }
    assert hold.ok()["holdCredit"] == {
        "hold": {"orderExternalId": "1042", "held": "50000", "available": "70000", "currency": "IRT"},
        "errors": [],
    }
    assert release.ok()["releaseCredit"]["release"] == {
        "orderExternalId": "1042",
        "released": "50000",
        "available": "120000",
        "currency": "IRT",
    }


async def test_checkout_errors_are_typed_data(client: ApiClient) -> None:
    """INSUFFICIENT_CREDIT (with what is available), CURRENCY_MISMATCH and INVALID come back as errors."""
    # given
    owner = await make_owner()
    key = await make_store_key(owner)
    customer = await funded(owner, 30_000)
    # when
    short = await client.graphql(HOLD, hold_input(customer, "50000"), token=key)
    mismatch = await client.graphql(HOLD, hold_input(customer, "5", currency="USD"), token=key)
    nonsense = await client.graphql(HOLD, hold_input(customer, "fifty"), token=key)
    # then
    assert short.ok()["holdCredit"] == {
        "hold": None,
        "errors": [
            {
                "code": "INSUFFICIENT_CREDIT",
                "field": "amount",
                "message": "The customer's available credit does not cover this amount.",
                "available": "30000",
            }
        ],
    }
    assert [(e["code"], e["field"]) for e in mismatch.ok()["holdCredit"]["errors"]] == [
        ("CURRENCY_MISMATCH", "currency")
    ]
    assert [(e["code"], e["field"]) for e in nonsense.ok()["holdCredit"]["errors"]] == [("INVALID", "amount")]


async def test_a_coupon_code_is_checked_through_graphql(client: ApiClient) -> None:
    """validateCoupon answers unknown_code for every code; a blank code is INVALID."""
    # given
    owner = await make_owner()
    key = await make_store_key(owner)
    guest = {"phone": "09121234567"}
    # when
    unknown = await client.graphql(COUPON, {"code": "YALDA1403", "customer": guest}, token=key)
    blank = await client.graphql(COUPON, {"code": " ", "customer": guest}, token=key)
    # then
    assert unknown.ok()["validateCoupon"] == {
        "check": {
            "valid": False,
            "code": "YALDA1403",
            "reason": "unknown_code",
            "message": "This code is not known.",
        },
        "errors": [],
    }
    assert [(e["code"], e["field"]) for e in blank.ok()["validateCoupon"]["errors"]] == [("INVALID", "code")]


@pytest.mark.parametrize("operation", ["creditQuote", "holdCredit", "releaseCredit", "validateCoupon"])
async def test_another_stores_key_naming_this_store_is_forbidden(client: ApiClient, operation: str) -> None:
    """An explicit tenantId of another store is FORBIDDEN and touches nothing."""
    # given
    victim, intruder = await make_owner(store="Victim"), await make_owner(store="Intruder")
    customer = await funded(victim, 120_000)
    key = await make_store_key(intruder)
    who = {"externalId": customer.external_id}
    calls = {
        "creditQuote": (QUOTE, {"customer": who, "cartTotal": "1", "currency": "IRT"}),
        "holdCredit": (HOLD, hold_input(customer, "50000")),
        "releaseCredit": (RELEASE, {"order": "1042"}),
        "validateCoupon": (COUPON, {"code": "ABC", "customer": who}),
    }
    document, variables = calls[operation]
    # when
    result = await client.graphql(document, {**variables, "t": victim.tenant_id}, token=key)
    # then
    assert result.error_codes() == ["FORBIDDEN"]
    balances = await ledger.balances(
        tenant_id=victim.tenant.id, customer_id=customer.id, now=datetime.now(UTC)
    )
    assert balances.available == 120_000
