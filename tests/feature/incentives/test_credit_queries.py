"""A customer's credit through GraphQL: balances as of now and the ledger, for their own store only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.incentives import ledger
from tests.support.api import ApiClient
from tests.support.automation import make_customer, make_order
from tests.support.factories import make_owner

ACCOUNT = """
query Account($customerId: ID!, $tenantId: ID) {
  creditAccount(customerId: $customerId, tenantId: $tenantId) { customerId available pending currency }
}
"""
LEDGER = """
query Ledger($customerId: ID!, $first: Int, $after: String) {
  creditLedger(customerId: $customerId, first: $first, after: $after) {
    nodes { kind amount orderId note } pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_owner_reads_a_customers_balances_and_ledger(client: ApiClient) -> None:
    """Available and pending come from the ledger at request time; the ledger pages newest first."""
    # given
    owner = await make_owner(currency="IRT")
    customer = await make_customer(owner.tenant)
    order = await make_order(owner.tenant, customer)
    now = datetime.now(UTC)
    scope = dict(tenant_id=owner.tenant.id, customer_id=customer.id)
    await ledger.grant(**scope, amount=300, kind="credit", idempotency_key="gift", available_at=now)
    await ledger.grant(
        **scope,
        amount=700,
        kind="cashback",
        idempotency_key="cashback",
        available_at=now + timedelta(days=7),
        order_id=order.id,
    )
    variables = {"customerId": str(customer.id)}
    # when
    account = await client.graphql(ACCOUNT, variables, token=owner.token)
    first_page = await client.graphql(LEDGER, {**variables, "first": 1}, token=owner.token)
    cursor = first_page.ok()["creditLedger"]["pageInfo"]["endCursor"]
    second_page = await client.graphql(LEDGER, {**variables, "first": 1, "after": cursor}, token=owner.token)
    # then
    assert account.ok()["creditAccount"] == {
        "customerId": str(customer.id),
        "available": 300,
        "pending": 700,
        "currency": "IRT",
    }
    assert first_page.ok()["creditLedger"]["nodes"] == [
        {"kind": "cashback", "amount": 700, "orderId": str(order.id), "note": ""}
    ]
    assert first_page.ok()["creditLedger"]["pageInfo"]["hasNextPage"] is True
    assert [node["kind"] for node in second_page.ok()["creditLedger"]["nodes"]] == ["credit"]


async def test_another_store_cannot_read_a_customers_credit(client: ApiClient) -> None:
    """Naming store A is FORBIDDEN for owner B; A's customer in B's own store is NOT_FOUND."""
    # given
    owner_a, owner_b = await make_owner(), await make_owner()
    customer = await make_customer(owner_a.tenant)
    await ledger.grant(
        tenant_id=owner_a.tenant.id,
        customer_id=customer.id,
        amount=500,
        kind="credit",
        idempotency_key="gift",
        available_at=datetime.now(UTC),
    )
    variables = {"customerId": str(customer.id)}
    # when
    forbidden = await client.graphql(
        ACCOUNT, {**variables, "tenantId": owner_a.tenant_id}, token=owner_b.token
    )
    not_found = await client.graphql(ACCOUNT, variables, token=owner_b.token)
    entries = await client.graphql(LEDGER, variables, token=owner_b.token)
    # then
    assert forbidden.error_codes() == ["FORBIDDEN"] and forbidden.data is None
    assert not_found.error_codes() == ["NOT_FOUND"] and not_found.data is None
    assert entries.error_codes() == ["NOT_FOUND"] and entries.data is None
