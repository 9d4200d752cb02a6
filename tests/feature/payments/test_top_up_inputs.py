"""startTopUp at its limits: amounts, client keys, permissions, another store, and a gateway that is down
or refuses — each a typed error that leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest

from domain.payments.models import TopUp
from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, make_owner
from tests.support.zarinpal_server import ZarinpalServer

START = """
mutation Start($amount: Money!, $key: String!, $tenant: ID) {
  startTopUp(amount: $amount, clientKey: $key, tenantId: $tenant) {
    topUp { id amount }
    paymentUrl
    errors { code field message }
  }
}
"""


@pytest.mark.parametrize(
    ("amount", "key", "code", "field"),
    [
        (0, "k", "INVALID_AMOUNT", "amount"),
        (-500_000, "k", "INVALID_AMOUNT", "amount"),
        (99_999, "k", "INVALID_AMOUNT", "amount"),
        (1_000_000_001, "k", "INVALID_AMOUNT", "amount"),
        (10**20, "k", "INVALID_AMOUNT", "amount"),
        ("10" * 40, "k", "INVALID_AMOUNT", "amount"),
        (500_000, "", "INVALID_CLIENT_KEY", "clientKey"),
        (500_000, "   ", "INVALID_CLIENT_KEY", "clientKey"),
        (500_000, "x" * 10_000, "INVALID_CLIENT_KEY", "clientKey"),
        (500_000, "bad\x00key", "INVALID_CLIENT_KEY", "clientKey"),
        (500_000, "bad\x01key", "INVALID_CLIENT_KEY", "clientKey"),
    ],
)
async def test_an_amount_or_key_outside_its_limits_is_a_typed_error_and_starts_nothing(
    client: ApiClient, zarinpal: ZarinpalServer, amount: Any, key: str, code: str, field: str
) -> None:
    """Zero, negative, below 100,000 or above 1,000,000,000 rials, a number past 64 bits; an empty, blank,
    10,000-character or control-character key: the payload's error names the field; no row, no request."""
    # given
    owner = await make_owner()
    # when
    result = await client.graphql(START, {"amount": amount, "key": key}, token=owner.token)
    # then
    errors = (result.data or {}).get("startTopUp", {}).get("errors") if result.data else None
    if errors is None:  # refused before the resolver (the guard on text reaching PostgreSQL)
        assert result.errors
    else:
        assert [(error["code"], error["field"]) for error in errors] == [(code, field)]
    assert await TopUp.filter(tenant_id=owner.tenant.id).count() == 0
    assert zarinpal.requests == []


@pytest.mark.parametrize("amount", ["abc", 12.5, True, None])
async def test_an_amount_of_the_wrong_type_is_refused_by_the_schema(client: ApiClient, amount: Any) -> None:
    """Text, a fraction, a boolean or null for Money: a GraphQL error, nothing started."""
    # given
    owner = await make_owner()
    # when
    result = await client.graphql(START, {"amount": amount, "key": "k"}, token=owner.token)
    # then
    assert result.errors
    assert await TopUp.filter(tenant_id=owner.tenant.id).count() == 0


async def test_a_client_key_reused_for_another_amount_is_refused(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """The key that started 500,000 rials cannot start 600,000: CLIENT_KEY_REUSED, the first untouched."""
    # given
    owner = await make_owner()
    await client.graphql(START, {"amount": 500_000, "key": "k"}, token=owner.token)
    # when
    result = await client.graphql(START, {"amount": 600_000, "key": "k"}, token=owner.token)
    # then
    assert result.ok()["startTopUp"]["errors"][0]["code"] == "CLIENT_KEY_REUSED"
    assert [row.amount for row in await TopUp.filter(tenant_id=owner.tenant.id)] == [500_000]
    assert len(zarinpal.requests) == 1


async def test_a_gateway_that_is_down_or_refuses_leaves_nothing_behind(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """Zarinpal answers an HTML 500, then -10 (merchant not valid): GATEWAY_UNAVAILABLE, then
    GATEWAY_REFUSED; no top-up is left, and the same key works once Zarinpal is back."""
    # given
    owner = await make_owner()
    zarinpal.fail_next(500, method="request")
    zarinpal.fail_next(-10, method="request")
    # when
    down = await client.graphql(START, {"amount": 500_000, "key": "k"}, token=owner.token)
    refused = await client.graphql(START, {"amount": 500_000, "key": "k"}, token=owner.token)
    left = await TopUp.filter(tenant_id=owner.tenant.id).count()
    back = await client.graphql(START, {"amount": 500_000, "key": "k"}, token=owner.token)
    # then
    assert down.ok()["startTopUp"]["errors"][0]["code"] == "GATEWAY_UNAVAILABLE"
    assert refused.ok()["startTopUp"]["errors"][0]["code"] == "GATEWAY_REFUSED"
    assert left == 0
    assert back.ok()["startTopUp"]["paymentUrl"].startswith(zarinpal.base_url)


async def test_only_those_who_may_pay_for_the_store_may_start_a_top_up(client: ApiClient) -> None:
    """Anonymous: UNAUTHENTICATED; a marketer of the store: FORBIDDEN; an owner naming another store:
    FORBIDDEN. Nothing is started."""
    # given
    owner, other = await make_owner(), await make_owner()
    marketer = await tenancy.create_user(
        email="m@example.ir", password="correct horse battery", full_name="M"
    )
    await tenancy.grant_role(user_id=marketer.id, tenant_id=owner.tenant.id, role="marketer")
    marketer_token = issue_access_token(marketer.id, secret=TEST_SECRET, minutes=5)
    variables = {"amount": 500_000, "key": "k"}
    # when
    anonymous = await client.graphql(START, variables)
    as_marketer = await client.graphql(START, variables, token=marketer_token)
    elsewhere = await client.graphql(START, {**variables, "tenant": other.tenant_id}, token=owner.token)
    # then
    assert anonymous.error_codes() == ["UNAUTHENTICATED"]
    assert as_marketer.error_codes() == ["FORBIDDEN"]
    assert elsewhere.error_codes() == ["FORBIDDEN"]
    assert await TopUp.all().count() == 0


async def test_another_stores_top_ups_and_invoices_cannot_be_read(client: ApiClient) -> None:
    """An owner naming another store in topUps or invoices: FORBIDDEN, no data."""
    # given
    owner, other = await make_owner(), await make_owner()
    # when
    top_ups = await client.graphql(
        "query($t: ID) { topUps(tenantId: $t) { nodes { id } } }", {"t": other.tenant_id}, token=owner.token
    )
    bills = await client.graphql(
        "query($t: ID) { invoices(tenantId: $t) { url } }", {"t": other.tenant_id}, token=owner.token
    )
    # then
    assert top_ups.error_codes() == ["FORBIDDEN"] and top_ups.data is None
    assert bills.error_codes() == ["FORBIDDEN"] and bills.data is None
