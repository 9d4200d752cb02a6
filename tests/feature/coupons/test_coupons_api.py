"""Coupons through GraphQL as the owner uses them: templates created, edited and archived, codes issued by
hand and in bulk, searched and paged, revoked, the usage report; permissions and tenant isolation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, Owner, make_owner, make_store_key
from tests.support.shop import customer_named, deliver, order_event

NOW = datetime.now(UTC).replace(microsecond=0)

CREATE = """
mutation Create($input: CouponTemplateInput!) {
  createCouponTemplate(input: $input) {
    template { id name kind value maximumDiscount productIds validDays codePrefix archivedAt }
    errors { code field message }
  }
}
"""
UPDATE = """
mutation Update($id: ID!, $input: CouponTemplateChanges!) {
  updateCouponTemplate(id: $id, input: $input) {
    template { kind value maximumDiscount description }
    errors { code field message }
  }
}
"""
ARCHIVE = """
mutation Archive($id: ID!) { archiveCouponTemplate(id: $id) { template { archivedAt } errors { code } } }
"""
ISSUE = """
mutation Issue($template: ID!, $key: String!, $customer: ID) {
  issueCoupon(templateId: $template, idempotencyKey: $key, customerId: $customer) {
    coupon { id code state customerId customer { externalId } expiresAt }
    errors { code field message }
  }
}
"""
GENERATE = """
mutation Generate($template: ID!, $key: String!, $count: Int, $customers: [ID!]) {
  generateCoupons(templateId: $template, idempotencyKey: $key, count: $count, customerIds: $customers) {
    created existing errors { code field message }
  }
}
"""
REVOKE = """
mutation Revoke($id: ID!) { revokeCoupon(id: $id) { coupon { state revokedAt } errors { code } } }
"""
CHECK = """
query Check($code: String!, $lines: [CartLineInput!], $shipping: String) {
  validateCoupon(code: $code, customer: {externalId: "57"}, cartTotal: "1000000", currency: "IRT",
                 lines: $lines, shippingTotal: $shipping) {
    check { valid reason kind value discount freeShipping expiresAt }
    errors { code field }
  }
}
"""
ONE = """
query One($code: String!) { coupon(code: $code) { code template { name } } }
"""
CODES = """
query Codes($template: ID, $prefix: String, $state: CouponState, $customer: ID, $after: String, $first: Int) {
  coupons(templateId: $template, codePrefix: $prefix, state: $state, customerId: $customer, first: $first,
          after: $after) {
    nodes { code state }
    pageInfo { hasNextPage endCursor }
  }
}
"""
TEMPLATE = """
query Template($id: ID!) {
  couponTemplate(id: $id) {
    name
    usage { issued revoked redeemedCodes redemptions customers discount revenue }
  }
}
"""
PERCENT = {"name": "Winback 15", "kind": "PERCENT", "value": 15, "maximumDiscount": 200000, "validDays": 7}


async def call(client: ApiClient, owner: Owner, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    result = await client.graphql(query, variables, token=owner.token, tenant=owner.tenant_id)
    return next(iter(result.ok().values()))


async def test_a_template_is_created_once_edited_and_archived(client: ApiClient, db: None) -> None:
    """Create twice answers one template; an edit keeps what it does not name; archived refuses edits."""
    # given
    owner = await make_owner()
    # when
    first = await call(client, owner, CREATE, {"input": {**PERCENT, "codePrefix": "wb-"}})
    again = await call(client, owner, CREATE, {"input": {**PERCENT, "codePrefix": "wb-"}})
    edited = await call(client, owner, UPDATE, {"id": first["template"]["id"], "input": {"value": 20}})
    cleared = await call(
        client, owner, UPDATE, {"id": first["template"]["id"], "input": {"maximumDiscount": None}}
    )
    archived = await call(client, owner, ARCHIVE, {"id": first["template"]["id"]})
    refused = await call(client, owner, UPDATE, {"id": first["template"]["id"], "input": {"value": 25}})
    # then
    assert first["errors"] == [] and first["template"]["codePrefix"] == "WB-"
    assert again["template"]["id"] == first["template"]["id"]
    assert (edited["template"]["value"], edited["template"]["maximumDiscount"]) == (20, 200000)
    assert cleared["template"]["maximumDiscount"] is None
    assert archived["template"]["archivedAt"] is not None
    assert [error["code"] for error in refused["errors"]] == ["TEMPLATE_ARCHIVED"]


async def test_invalid_terms_are_typed_errors_naming_the_field(client: ApiClient, db: None) -> None:
    """A 150 % coupon, a blank name, 10,000-character description: INVALID with the field when it has one."""
    # given
    owner = await make_owner()
    # when
    too_much = await call(client, owner, CREATE, {"input": {**PERCENT, "value": 150}})
    blank = await call(client, owner, CREATE, {"input": {**PERCENT, "name": " "}})
    long = await call(client, owner, CREATE, {"input": {**PERCENT, "description": "x" * 10_000}})
    nul = await call(client, owner, CREATE, {"input": {**PERCENT, "productIds": ["a\u0000"]}})
    both = await call(
        client, owner, CREATE, {"input": {**PERCENT, "categoryIds": ["t"], "excludedCategoryIds": ["t"]}}
    )
    cap = await call(client, owner, CREATE, {"input": {**PERCENT, "maximumDiscount": 10**15 + 1}})
    # then
    assert [(e["code"], e["field"]) for e in too_much["errors"]] == [("INVALID", "value")]
    assert too_much["template"] is None
    assert [(e["code"], e["field"]) for e in blank["errors"]] == [("INVALID", "name")]
    assert [(e["code"], e["field"]) for e in long["errors"]] == [("INVALID", "description")]
    assert [(e["code"], e["field"]) for e in nul["errors"]] == [("INVALID", "productIds.0")]
    assert [(e["code"], e["field"]) for e in both["errors"]] == [("INVALID", "excludedCategoryIds")]
    assert [(e["code"], e["field"]) for e in cap["errors"]] == [("INVALID", "maximumDiscount")]


async def test_codes_are_issued_by_hand_generated_in_bulk_and_searched(client: ApiClient, db: None) -> None:
    """One code for Sara (a retry is the same code), 25 shared codes; searched by prefix, state, customer,
    and paged without repeats."""
    # given
    owner = await make_owner()
    await deliver(owner.tenant.id, [order_event(customer="sara", placed_at=NOW)], now=NOW)
    sara = await customer_named(owner.tenant.id, "sara")
    template = (await call(client, owner, CREATE, {"input": {**PERCENT, "codePrefix": "WB"}}))["template"]
    # when
    issued = await call(
        client, owner, ISSUE, {"template": template["id"], "key": "k1", "customer": str(sara.id)}
    )
    retried = await call(
        client, owner, ISSUE, {"template": template["id"], "key": "k1", "customer": str(sara.id)}
    )
    generated = await call(client, owner, GENERATE, {"template": template["id"], "key": "g1", "count": 25})
    repeated = await call(client, owner, GENERATE, {"template": template["id"], "key": "g1", "count": 25})
    pages, after = [], None
    while True:
        page = await call(client, owner, CODES, {"template": template["id"], "first": 10, "after": after})
        pages.append(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    code = issued["coupon"]["code"]
    by_prefix = await call(client, owner, CODES, {"prefix": code[:6].lower()})
    by_customer = await call(client, owner, CODES, {"customer": str(sara.id)})
    active = await call(client, owner, CODES, {"state": "ACTIVE", "first": 100})
    # then
    assert issued["coupon"]["customer"] == {"externalId": "sara"} and issued["coupon"]["state"] == "ACTIVE"
    assert retried["coupon"]["id"] == issued["coupon"]["id"]
    assert (generated["created"], generated["existing"], repeated["created"], repeated["existing"]) == (
        25,
        0,
        0,
        25,
    )
    codes = [node["code"] for nodes in pages for node in nodes]
    assert [len(nodes) for nodes in pages] == [10, 10, 6] and len(set(codes)) == 26
    assert code in [node["code"] for node in by_prefix["nodes"]]
    assert by_customer["nodes"] == [{"code": code, "state": "ACTIVE"}]
    assert len(active["nodes"]) == 26


async def test_revoked_and_redeemed_codes_show_their_state_and_the_usage_report(
    client: ApiClient, db: None
) -> None:
    """A code used on an order is REDEEMED, a revoked one REVOKED; the report counts issue, use, discount
    and revenue, and a cancelled order leaves it."""
    # given
    owner = await make_owner()
    template = (await call(client, owner, CREATE, {"input": PERCENT}))["template"]
    used = (await call(client, owner, ISSUE, {"template": template["id"], "key": "a"}))["coupon"]
    dropped = (await call(client, owner, ISSUE, {"template": template["id"], "key": "b"}))["coupon"]
    cancelled = (await call(client, owner, ISSUE, {"template": template["id"], "key": "c"}))["coupon"]
    used_order = order_event(customer="sara", placed_at=NOW, total=800_000, coupons=(used["code"].lower(),))
    used_order["data"]["discount_total"] = "120000"
    gone = order_event(
        customer="reza", placed_at=NOW, total=500_000, order_id="g", coupons=(cancelled["code"],)
    )
    await deliver(owner.tenant.id, [used_order, gone], now=NOW)
    await deliver(
        owner.tenant.id,
        [
            order_event(
                customer="reza",
                placed_at=NOW,
                total=500_000,
                order_id="g",
                status="cancelled",
                coupons=(cancelled["code"],),
            )
        ],
        now=NOW,
    )
    # when
    revoked = await call(client, owner, REVOKE, {"id": dropped["id"]})
    redeemed = await call(client, owner, CODES, {"state": "REDEEMED"})
    report = await call(client, owner, TEMPLATE, {"id": template["id"]})
    # then
    assert revoked["coupon"]["state"] == "REVOKED"
    assert redeemed["nodes"] == [{"code": used["code"], "state": "REDEEMED"}]
    assert report["usage"] == {
        "issued": 3,
        "revoked": 1,
        "redeemedCodes": 1,
        "redemptions": 1,
        "customers": 1,
        "discount": 120000,
        "revenue": 800000,
    }


async def test_bulk_generation_for_customers_and_its_limits(client: ApiClient, db: None) -> None:
    """One code per named customer; an unknown customer, both or neither of count and customers, and
    more than 100,000 are typed errors."""
    # given
    owner = await make_owner()
    await deliver(
        owner.tenant.id, [order_event(customer=name, placed_at=NOW) for name in ("a", "b")], now=NOW
    )
    ids = [str((await customer_named(owner.tenant.id, name)).id) for name in ("a", "b")]
    template = (await call(client, owner, CREATE, {"input": PERCENT}))["template"]["id"]
    # when
    made = await call(client, owner, GENERATE, {"template": template, "key": "p", "customers": ids})
    unknown = await call(
        client,
        owner,
        GENERATE,
        {"template": template, "key": "q", "customers": ["00000000-0000-4000-8000-000000000000"]},
    )
    both = await call(
        client, owner, GENERATE, {"template": template, "key": "r", "count": 1, "customers": ids}
    )
    neither = await call(client, owner, GENERATE, {"template": template, "key": "s"})
    huge = await call(client, owner, GENERATE, {"template": template, "key": "t", "count": 100_001})
    blank_key = await call(client, owner, GENERATE, {"template": template, "key": " ", "count": 1})
    long_key = await call(client, owner, ISSUE, {"template": template, "key": "k" * 151})
    longest = await call(client, owner, ISSUE, {"template": template, "key": "k" * 150})
    # then
    assert (made["created"], made["errors"]) == (2, [])
    assert [e["code"] for e in unknown["errors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in both["errors"]] == ["INVALID"]
    assert [e["code"] for e in neither["errors"]] == ["INVALID"]
    assert [(e["code"], e["field"]) for e in huge["errors"]] == [("INVALID", "count")]
    assert [(e["code"], e["field"]) for e in blank_key["errors"]] == [("INVALID", "idempotencyKey")]
    assert [(e["code"], e["field"]) for e in long_key["errors"]] == [("INVALID", "idempotencyKey")]
    assert longest["errors"] == []


async def test_analysts_read_coupons_but_do_not_write_them(client: ApiClient, db: None) -> None:
    """The analyst role lists templates and codes; creating or issuing is FORBIDDEN. A marketer may."""
    # given
    owner = await make_owner()
    template = (await call(client, owner, CREATE, {"input": PERCENT}))["template"]
    analyst, marketer = await make_owner(), await make_owner()
    await tenancy.grant_role(user_id=analyst.user.id, tenant_id=owner.tenant.id, role="analyst")
    await tenancy.grant_role(user_id=marketer.user.id, tenant_id=owner.tenant.id, role="marketer")
    analyst_token = issue_access_token(analyst.user.id, secret=TEST_SECRET, minutes=30)
    marketer_token = issue_access_token(marketer.user.id, secret=TEST_SECRET, minutes=30)
    # when
    read = await client.graphql(
        "query { couponTemplates { nodes { name } } }", token=analyst_token, tenant=owner.tenant_id
    )
    write = await client.graphql(
        ISSUE, {"template": template["id"], "key": "x"}, token=analyst_token, tenant=owner.tenant_id
    )
    marketer_write = await client.graphql(
        ISSUE, {"template": template["id"], "key": "x"}, token=marketer_token, tenant=owner.tenant_id
    )
    # then
    assert read.ok()["couponTemplates"]["nodes"] == [{"name": "Winback 15"}]
    assert write.error_codes() == ["FORBIDDEN"]
    assert marketer_write.ok()["issueCoupon"]["errors"] == []


async def test_another_stores_templates_and_codes_are_not_found(client: ApiClient, db: None) -> None:
    """Reading, editing, issuing from or revoking another store's things answers NOT_FOUND."""
    # given
    owner, other = await make_owner(), await make_owner()
    theirs = (await call(client, other, CREATE, {"input": PERCENT}))["template"]
    their_code = (await call(client, other, ISSUE, {"template": theirs["id"], "key": "k"}))["coupon"]
    # when
    read = await client.graphql(TEMPLATE, {"id": theirs["id"]}, token=owner.token, tenant=owner.tenant_id)
    edit = await call(client, owner, UPDATE, {"id": theirs["id"], "input": {"value": 5}})
    issue = await call(client, owner, ISSUE, {"template": theirs["id"], "key": "k"})
    revoke = await call(client, owner, REVOKE, {"id": their_code["id"]})
    listed = await call(client, owner, CODES, {})
    # then
    assert read.error_codes() == ["NOT_FOUND"]
    assert [e["code"] for e in edit["errors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in issue["errors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in revoke["errors"]] == ["NOT_FOUND"]
    assert listed["nodes"] == []


async def test_the_checkout_check_through_graphql_and_its_line_limits(client: ApiClient, db: None) -> None:
    """validateCoupon answers the kind, value and discount; a line without a product or with a negative
    total is INVALID naming lines.N; a code is found in any case with its template."""
    # given
    owner = await make_owner()
    key = await make_store_key(owner)
    template = (await call(client, owner, CREATE, {"input": {**PERCENT, "categoryIds": ["tea"]}}))["template"]
    code = (await call(client, owner, ISSUE, {"template": template["id"], "key": "k"}))["coupon"]["code"]
    tea = [{"productId": "88", "total": "600000", "categoryIds": ["tea"]}]
    # when
    valid = await client.graphql(CHECK, {"code": code.lower(), "lines": tea}, token=key)
    no_lines = await client.graphql(CHECK, {"code": code}, token=key)
    blank = await client.graphql(
        CHECK, {"code": code, "lines": [{"productId": " ", "total": "1"}]}, token=key
    )
    negative = await client.graphql(
        CHECK, {"code": code, "lines": [{"productId": "1", "total": "-1"}]}, token=key
    )
    found = await call(client, owner, ONE, {"code": code.lower()})
    # then
    check = valid.ok()["validateCoupon"]["check"]
    assert (check["valid"], check["kind"], check["value"], check["discount"]) == (
        True,
        "PERCENT",
        "15",
        "90000",
    )
    assert no_lines.ok()["validateCoupon"]["check"]["reason"] == "no_eligible_products"
    assert blank.ok()["validateCoupon"]["errors"] == [{"code": "INVALID", "field": "lines.0.productId"}]
    assert negative.ok()["validateCoupon"]["errors"] == [{"code": "INVALID", "field": "lines.0.total"}]
    assert found == {"code": code, "template": {"name": "Winback 15"}}
