"""adjustCredit, the ledger's kinds and the audit trail through GraphQL: owners only, typed errors, once
per key, a store's own customers only."""

from __future__ import annotations

import asyncio
from typing import Any

from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.automation import make_customer
from tests.support.factories import TEST_SECRET, make_owner, make_store_key

ADJUST = """
mutation Adjust($input: AdjustCreditInput!, $tenantId: ID) {
  adjustCredit(input: $input, tenantId: $tenantId) {
    entry { kind amount note expiresAt }
    account { available pending currency }
    repeated
    errors { code field message available }
  }
}
"""
LEDGER = """
query Ledger($customerId: ID!, $kinds: [String!]) {
  creditLedger(customerId: $customerId, kinds: $kinds) { nodes { kind amount note } }
}
"""
TRAIL = """
query Trail($action: String, $subjectId: String, $first: Int, $after: String) {
  auditTrail(action: $action, subjectId: $subjectId, first: $first, after: $after) {
    nodes { actorUserId action subjectType subjectId detail }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def adjustment(customer_id: Any, **changes: Any) -> dict[str, Any]:
    return {
        "input": {
            "customerId": str(customer_id),
            "direction": "GRANT",
            "amount": "50000",
            "currency": "IRT",
            "reason": "جبران تاخیر ارسال",
            "idempotencyKey": "ticket-881",
            **changes,
        }
    }


async def test_an_owner_grants_and_deducts_credit_and_both_show_on_the_ledger_and_the_trail(
    client: ApiClient,
) -> None:
    """A grant of 50,000 then a deduction of 20,000: two adjustment lines with their reasons, the
    balance after each, and two audit entries naming the owner, newest first and paged."""
    # given
    owner = await make_owner()
    customer = await make_customer(owner.tenant)
    # when
    granted = await client.graphql(ADJUST, adjustment(customer.id), token=owner.token)
    deducted = await client.graphql(
        ADJUST,
        adjustment(
            customer.id, direction="DEDUCT", amount="20000", reason="Wrong grant", idempotencyKey="t-2"
        ),
        token=owner.token,
    )
    ledger = await client.graphql(
        LEDGER, {"customerId": str(customer.id), "kinds": ["adjustment"]}, token=owner.token
    )
    first = await client.graphql(TRAIL, {"first": 1, "action": "credit.adjusted"}, token=owner.token)
    cursor = first.ok()["auditTrail"]["pageInfo"]["endCursor"]
    second = await client.graphql(TRAIL, {"first": 1, "after": cursor}, token=owner.token)
    # then
    assert granted.ok()["adjustCredit"] == {
        "entry": {"kind": "adjustment", "amount": 50_000, "note": "جبران تاخیر ارسال", "expiresAt": None},
        "account": {"available": 50_000, "pending": 0, "currency": "IRT"},
        "repeated": False,
        "errors": [],
    }
    assert deducted.ok()["adjustCredit"]["account"]["available"] == 30_000
    assert ledger.ok()["creditLedger"]["nodes"] == [
        {"kind": "adjustment", "amount": -20_000, "note": "Wrong grant"},
        {"kind": "adjustment", "amount": 50_000, "note": "جبران تاخیر ارسال"},
    ]
    newest = first.ok()["auditTrail"]["nodes"][0]
    assert (newest["actorUserId"], newest["action"], newest["subjectType"], newest["subjectId"]) == (
        str(owner.user.id),
        "credit.adjusted",
        "customer",
        str(customer.id),
    )
    assert (newest["detail"]["amount"], newest["detail"]["available_after"]) == (-20_000, 30_000)
    assert first.ok()["auditTrail"]["pageInfo"]["hasNextPage"] is True
    assert [node["detail"]["amount"] for node in second.ok()["auditTrail"]["nodes"]] == [50_000]


async def test_a_deduction_beyond_the_balance_is_a_typed_error_saying_what_is_available(
    client: ApiClient,
) -> None:
    """INSUFFICIENT_CREDIT with the available amount in the store's money; nothing is written."""
    # given
    owner = await make_owner()
    customer = await make_customer(owner.tenant)
    await client.graphql(ADJUST, adjustment(customer.id, amount="1000"), token=owner.token)
    # when
    refused = await client.graphql(
        ADJUST,
        adjustment(customer.id, direction="DEDUCT", amount="1000.9", idempotencyKey="d-1"),
        token=owner.token,
    )
    too_much = await client.graphql(
        ADJUST,
        adjustment(customer.id, direction="DEDUCT", amount="1001", idempotencyKey="d-2"),
        token=owner.token,
    )
    # then
    assert refused.ok()["adjustCredit"]["account"]["available"] == 0  # 1000.9 rounds down to 1000
    assert too_much.ok()["adjustCredit"]["errors"] == [
        {
            "code": "INSUFFICIENT_CREDIT",
            "field": "amount",
            "message": "The customer's available credit does not cover this amount.",
            "available": "0",
        }
    ]


async def test_the_same_adjustment_sent_twice_at_once_is_written_once(client: ApiClient) -> None:
    """Three identical requests at once: one line, one audit entry; the others say repeated; the same key
    for another amount is IDEMPOTENCY_KEY_REUSED."""
    # given
    owner = await make_owner()
    customer = await make_customer(owner.tenant)
    # when
    results = await asyncio.gather(
        *(client.graphql(ADJUST, adjustment(customer.id), token=owner.token) for _ in range(3))
    )
    reused = await client.graphql(ADJUST, adjustment(customer.id, amount="7"), token=owner.token)
    ledger = await client.graphql(LEDGER, {"customerId": str(customer.id)}, token=owner.token)
    trail = await client.graphql(TRAIL, {}, token=owner.token)
    # then
    assert sorted(result.ok()["adjustCredit"]["repeated"] for result in results) == [False, True, True]
    assert reused.ok()["adjustCredit"]["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert len(ledger.ok()["creditLedger"]["nodes"]) == 1
    assert len(trail.ok()["auditTrail"]["nodes"]) == 1


async def test_inputs_at_their_limits_are_typed_errors_naming_the_field(client: ApiClient) -> None:
    """Zero, negative and huge amounts, an empty or 10,000-character reason, a NUL in the key, a past
    or zone-less expiry and another currency: each a typed error on its field, nothing written."""
    # given
    owner = await make_owner()
    customer = await make_customer(owner.tenant)
    cases = [
        ({"amount": "0"}, "INVALID", "amount"),
        ({"amount": "0.4"}, "INVALID", "amount"),
        ({"amount": "-5"}, "INVALID", "amount"),
        ({"amount": "1" + "0" * 30}, "INVALID", "amount"),
        ({"amount": "1000000000000001"}, "INVALID", "amount"),
        ({"reason": ""}, "INVALID", "reason"),
        ({"reason": "x" * 10_000}, "INVALID", "reason"),
        ({"reason": "one\ttab"}, "INVALID", "reason"),
        ({"idempotencyKey": "k" * 101}, "INVALID", "idempotencyKey"),
        ({"expiresAt": "2001-01-01T00:00:00+00:00"}, "INVALID", "expiresAt"),
        ({"expiresAt": "2099-01-01T00:00:00"}, "INVALID", "expiresAt"),
        ({"currency": "USD"}, "CURRENCY_MISMATCH", "currency"),
        ({"customerId": "not-an-id"}, "NOT_FOUND", "customerId"),
    ]
    # when
    answers = [
        (await client.graphql(ADJUST, adjustment(customer.id, **changes), token=owner.token), code, field)
        for changes, code, field in cases
    ]
    ledger = await client.graphql(LEDGER, {"customerId": str(customer.id)}, token=owner.token)
    # then
    for answer, code, field in answers:
        errors = answer.ok()["adjustCredit"]["errors"]
        assert [(error["code"], error["field"]) for error in errors] == [(code, field)], answer
    assert ledger.ok()["creditLedger"]["nodes"] == []


async def test_only_owners_adjust_and_read_the_trail_and_only_in_their_store(client: ApiClient) -> None:
    """A marketer, an analyst and the store's key are FORBIDDEN; another store's customer is NOT_FOUND;
    naming another store is FORBIDDEN; an unknown ledger kind is INVALID."""
    # given
    owner, other = await make_owner(), await make_owner()
    customer = await make_customer(owner.tenant)
    stranger = await make_customer(other.tenant)
    marketer, analyst = await make_owner(), await make_owner()
    await tenancy.grant_role(user_id=marketer.user.id, tenant_id=owner.tenant.id, role="marketer")
    await tenancy.grant_role(user_id=analyst.user.id, tenant_id=owner.tenant.id, role="analyst")
    store_key = await make_store_key(owner)
    scoped = {"tenantId": owner.tenant_id}
    # when
    by_marketer = await client.graphql(
        ADJUST,
        {**adjustment(customer.id), **scoped},
        token=issue_access_token(marketer.user.id, secret=TEST_SECRET, minutes=30),
    )
    by_analyst = await client.graphql(
        TRAIL,
        {},
        token=issue_access_token(analyst.user.id, secret=TEST_SECRET, minutes=30),
        tenant=owner.tenant_id,
    )
    by_key = await client.graphql(ADJUST, adjustment(customer.id), token=store_key)
    across = await client.graphql(ADJUST, adjustment(stranger.id), token=owner.token)
    naming_other = await client.graphql(
        ADJUST, {**adjustment(customer.id), "tenantId": other.tenant_id}, token=owner.token
    )
    bad_kind = await client.graphql(
        LEDGER, {"customerId": str(customer.id), "kinds": ["gift\x00"]}, token=owner.token
    )
    # then
    assert by_marketer.error_codes() == ["FORBIDDEN"]
    assert by_analyst.error_codes() == ["FORBIDDEN"]
    assert by_key.error_codes() == ["FORBIDDEN"]
    assert across.ok()["adjustCredit"]["errors"][0]["code"] == "NOT_FOUND"
    assert naming_other.error_codes() == ["FORBIDDEN"]
    assert bad_kind.data is None
