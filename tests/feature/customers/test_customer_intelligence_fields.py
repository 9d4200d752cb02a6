"""What Revisit knows of a customer through GraphQL: their buying metrics, RFM scores, lifecycle stage,
purchase-model prediction, birthday in the store's calendar, and their credit balance, loaded for a
whole page of customers at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise import Tortoise

from domain.incentives.models import CreditAccount
from domain.intelligence import bgnbd, prediction
from tests.support.api import ApiClient
from tests.support.commerce import make_customers
from tests.support.factories import make_owner
from tests.support.statements import recorded_statements

CUSTOMER = """
query($id: ID!) {
  customer(id: $id) {
    averageOrderValue averageDaysBetweenOrders medianDaysBetweenOrders refundsCount refundedTotal
    recencyScore frequencyScore monetaryScore lifecycleStage probabilityActive churnRisk
    expectedNextOrderAt birthMonth birthDay creditBalance
  }
}
"""
BALANCES = "query($first: Int!) { customers(first: $first) { nodes { externalId creditBalance } } }"


FIRST = datetime.now(UTC) - timedelta(days=200)
LAST = datetime.now(UTC) - timedelta(days=20)


async def test_the_intelligence_columns_of_a_customer_are_their_fields(client: ApiClient) -> None:
    """Columns as processing keeps them become the fields: money as Money (past GraphQL's Int), the stage
    as LifecycleStage, probabilityActive and expectedNextOrderAt from the customer's orders and the store's
    purchase model (the published one until the store's own is fitted), churnRisk as 1 − probabilityActive,
    creditBalance from their credit account."""
    # given
    owner = await make_owner()
    [customer] = await make_customers(owner.tenant.id, 1)
    await Tortoise.get_connection("default").execute_query(
        """
        UPDATE customers SET average_order_value = 3000000000, average_days_between_orders = 12.5,
            median_days_between_orders = 10, refunds_count = 2, refunded_total = 4500000000,
            recency_score = 5, frequency_score = 3, monetary_score = 1, lifecycle_stage = 'at_risk',
            birth_month = 10, birth_day = 30, orders_count = 3, first_order_at = $2, last_order_at = $3
        WHERE id = $1
        """,
        [customer.id, FIRST, LAST],
    )
    await CreditAccount.create(
        tenant_id=owner.tenant.id, customer_id=customer.id, available=250_000, pending=7
    )
    # when
    result = await client.graphql(CUSTOMER, {"id": str(customer.id)}, token=owner.token)
    # then
    fields = result.ok()["customer"]
    now = datetime.now(UTC)
    alive = prediction.probability_active(bgnbd.PRIORS, orders=3, first=FIRST, last=LAST, now=now)
    expected = prediction.expected_next_order(bgnbd.PRIORS, orders=3, first=FIRST, now=now)
    assert alive is not None and expected is not None
    assert fields.pop("probabilityActive") == pytest.approx(alive, abs=1e-6)
    assert fields.pop("churnRisk") == pytest.approx(1 - alive, abs=1e-6)
    next_order = datetime.fromisoformat(fields.pop("expectedNextOrderAt"))
    assert abs(next_order - expected) < timedelta(minutes=1)
    assert fields == {
        "averageOrderValue": 3_000_000_000,
        "averageDaysBetweenOrders": 12.5,
        "medianDaysBetweenOrders": 10.0,
        "refundsCount": 2,
        "refundedTotal": 4_500_000_000,
        "recencyScore": 5,
        "frequencyScore": 3,
        "monetaryScore": 1,
        "lifecycleStage": "AT_RISK",
        "birthMonth": 10,
        "birthDay": 30,
        "creditBalance": 250_000,
    }


async def test_a_customer_nothing_is_known_of_yet_has_the_defaults(client: ApiClient) -> None:
    """A new customer is a PROSPECT with no scores, no prediction (so no churn risk), and 0 credit: they
    have no credit account."""
    # given
    owner = await make_owner()
    [customer] = await make_customers(owner.tenant.id, 1)
    # when
    result = await client.graphql(CUSTOMER, {"id": str(customer.id)}, token=owner.token)
    # then
    assert result.ok()["customer"] == {
        "averageOrderValue": 0,
        "averageDaysBetweenOrders": None,
        "medianDaysBetweenOrders": None,
        "refundsCount": 0,
        "refundedTotal": 0,
        "recencyScore": None,
        "frequencyScore": None,
        "monetaryScore": None,
        "lifecycleStage": "PROSPECT",
        "probabilityActive": None,
        "churnRisk": None,
        "expectedNextOrderAt": None,
        "birthMonth": None,
        "birthDay": None,
        "creditBalance": 0,
    }


@pytest.mark.parametrize("first", [5, 50])
async def test_credit_balances_of_a_page_cost_one_statement(client: ApiClient, first: int) -> None:
    """Authentication, the page and one statement for all its balances, for 5 customers as for 50; each
    customer has their own balance, 0 without an account, and another store's accounts change nothing."""
    # given: 60 customers, every third with an account holding 1000 × their number
    owner = await make_owner()
    customers = await make_customers(owner.tenant.id, 60)
    await CreditAccount.bulk_create(
        [
            CreditAccount(tenant_id=owner.tenant.id, customer_id=customer.id, available=1000 * number)
            for number, customer in enumerate(customers)
            if number % 3 == 0
        ]
    )
    other = await make_owner()
    [stranger] = await make_customers(other.tenant.id, 1)
    await CreditAccount.create(tenant_id=other.tenant.id, customer_id=stranger.id, available=99)
    # when
    with recorded_statements() as statements:
        result = await client.graphql(BALANCES, {"first": first}, token=owner.token)
    # then
    assert len(statements) == 3, statements
    nodes = result.ok()["customers"]["nodes"]
    assert len(nodes) == first
    for node in nodes:  # newest first: c-59, c-58, …
        number = int(node["externalId"].removeprefix("c-"))
        assert node["creditBalance"] == (1000 * number if number % 3 == 0 else 0), node
