"""The checkout routes as the plugin calls them with its store key: the contract's shapes and codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.customers.models import Customer
from domain.incentives import ledger
from domain.incentives.models import CreditEntry
from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.automation import give_credit, make_customer
from tests.support.factories import TEST_SECRET, Owner, make_owner, make_store_key


async def funded(owner: Owner, amount: int) -> Customer:
    """A customer of the owner's store with ``amount`` of credit available now."""
    customer = await make_customer(owner.tenant)
    await give_credit(customer, amount)
    return customer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def quote_body(customer: dict[str, Any], cart_total: str = "1250000") -> dict[str, Any]:
    return {"customer": customer, "cart_total": cart_total, "currency": "IRT"}


def hold_body(customer: dict[str, Any], amount: str = "50000", order: str = "1042") -> dict[str, Any]:
    return {"order_external_id": order, "customer": customer, "amount": amount, "currency": "IRT"}


async def test_the_connection_check_names_the_keys_store(client: ApiClient) -> None:
    """GET /rest/v1/connection answers the store's id, name, currency and time zone; no key is 401."""
    # given
    owner = await make_owner(store="چای‌خانه", currency="IRT")
    key = await make_store_key(owner)
    # when
    answer = await client.http.get("/rest/v1/connection", headers=bearer(key))
    anonymous = await client.http.get("/rest/v1/connection")
    # then
    assert answer.status_code == 200
    assert answer.json() == {
        "store": {"id": owner.tenant_id, "name": "چای‌خانه", "currency": "IRT", "timezone": "Asia/Tehran"}
    }
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_a_quote_offers_the_customers_credit_up_to_the_cart_total(client: ApiClient) -> None:
    """Known by phone (Persian digits): available and max_usable; an unknown customer: found false, zeros."""
    # given
    owner = await make_owner()
    headers = bearer(await make_store_key(owner))
    customer = await funded(owner, 120_000)
    persian_phone = ("0" + (customer.phone or "")[3:]).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    # when
    known = await client.http.post(
        "/rest/v1/credit/quote", json=quote_body({"phone": persian_phone}, "100000"), headers=headers
    )
    unknown = await client.http.post(
        "/rest/v1/credit/quote", json=quote_body({"external_id": 404, "email": "x@y.ir"}), headers=headers
    )
    # then
    assert known.status_code == unknown.status_code == 200
    assert known.json() == {
        "customer_found": True,
        "available": "120000",
        "max_usable": "100000",
        "currency": "IRT",
    }
    assert unknown.json() == {"customer_found": False, "available": "0", "max_usable": "0", "currency": "IRT"}


async def test_a_hold_takes_the_credit_once_per_order(client: ApiClient) -> None:
    """Holding again for the same order answers the same hold and takes nothing more."""
    # given
    owner = await make_owner()
    headers = bearer(await make_store_key(owner))
    customer = await funded(owner, 120_000)
    who = {"external_id": customer.external_id}
    # when
    first = await client.http.post("/rest/v1/credit/hold", json=hold_body(who), headers=headers)
    again = await client.http.post("/rest/v1/credit/hold", json=hold_body(who, "70000"), headers=headers)
    quote = await client.http.post("/rest/v1/credit/quote", json=quote_body(who), headers=headers)
    # then
    expected = {"order_external_id": "1042", "held": "50000", "available": "70000", "currency": "IRT"}
    assert (first.status_code, first.json()) == (200, expected)
    assert (again.status_code, again.json()) == (200, expected)
    assert quote.json()["available"] == "70000"
    assert await CreditEntry.filter(tenant_id=owner.tenant.id, kind="redemption").count() == 1


async def test_a_hold_the_customer_cannot_cover_is_a_409_with_what_they_have(client: ApiClient) -> None:
    """INSUFFICIENT_CREDIT is 409 and carries `available`; nothing is taken."""
    # given
    owner = await make_owner()
    headers = bearer(await make_store_key(owner))
    customer = await funded(owner, 30_000)
    # when
    answer = await client.http.post(
        "/rest/v1/credit/hold", json=hold_body({"external_id": customer.external_id}), headers=headers
    )
    # then
    assert answer.status_code == 409
    assert answer.json() == {
        "error": {
            "code": "INSUFFICIENT_CREDIT",
            "message": "The customer's available credit does not cover this amount.",
        },
        "available": "30000",
    }
    assert await CreditEntry.filter(tenant_id=owner.tenant.id, kind="redemption").count() == 0


async def test_a_release_gives_the_hold_back_and_then_nothing(client: ApiClient) -> None:
    """The first release answers what it gave back; the second and an unknown order answer 0."""
    # given
    owner = await make_owner()
    headers = bearer(await make_store_key(owner))
    customer = await funded(owner, 120_000)
    await client.http.post(
        "/rest/v1/credit/hold", json=hold_body({"external_id": customer.external_id}), headers=headers
    )
    # when
    first = await client.http.post(
        "/rest/v1/credit/release", json={"order_external_id": "1042"}, headers=headers
    )
    again = await client.http.post(
        "/rest/v1/credit/release", json={"order_external_id": 1042}, headers=headers
    )
    never = await client.http.post(
        "/rest/v1/credit/release", json={"order_external_id": "77"}, headers=headers
    )
    # then
    assert (first.status_code, first.json()) == (
        200,
        {"order_external_id": "1042", "released": "50000", "available": "120000", "currency": "IRT"},
    )
    assert again.json() == {
        "order_external_id": "1042",
        "released": "0",
        "available": "120000",
        "currency": "IRT",
    }
    assert never.json() == {"order_external_id": "77", "released": "0", "available": "0", "currency": "IRT"}


async def test_every_coupon_code_is_unknown_for_now(client: ApiClient) -> None:
    """The contract's answer for a code Revisit never issued."""
    # given
    owner = await make_owner()
    headers = bearer(await make_store_key(owner))
    body = {"code": " ABC ", "customer": {"external_id": "57"}, "cart_total": "1250000", "currency": "IRT"}
    # when
    answer = await client.http.post("/rest/v1/coupons/validate", json=body, headers=headers)
    # then
    assert answer.status_code == 200
    assert answer.json() == {
        "valid": False,
        "code": "ABC",
        "reason": "unknown_code",
        "message": "This code is not known.",
    }


async def test_amounts_follow_the_stores_currency(client: ApiClient) -> None:
    """A USD store: cents in the ledger, "12.50" on the wire, "5" read as five dollars."""
    # given
    owner = await make_owner(currency="USD")
    headers = bearer(await make_store_key(owner))
    customer = await funded(owner, 1_250)
    who = {"external_id": customer.external_id}
    # when
    quote = await client.http.post(
        "/rest/v1/credit/quote", json={"customer": who, "cart_total": 30, "currency": "usd"}, headers=headers
    )
    held = await client.http.post(
        "/rest/v1/credit/hold",
        json={"order_external_id": "9", "customer": who, "amount": "5", "currency": "USD"},
        headers=headers,
    )
    # then
    assert quote.json() == {
        "customer_found": True,
        "available": "12.50",
        "max_usable": "12.50",
        "currency": "USD",
    }
    assert held.json() == {"order_external_id": "9", "held": "5.00", "available": "7.50", "currency": "USD"}


@pytest.mark.parametrize(
    ("path", "body", "status", "code", "field"),
    [
        (
            "/rest/v1/credit/quote",
            {**quote_body({"external_id": "57"}), "currency": "USD"},
            422,
            "CURRENCY_MISMATCH",
            "currency",
        ),
        ("/rest/v1/credit/quote", quote_body({"external_id": "57"}, "12,5"), 422, "INVALID", "cart_total"),
        ("/rest/v1/credit/quote", quote_body({"external_id": "57"}, "-1"), 422, "INVALID", "cart_total"),
        ("/rest/v1/credit/quote", quote_body({}), 422, "INVALID", "customer"),
        ("/rest/v1/credit/quote", {"customer": {"external_id": "57"}}, 422, "INVALID", "cart_total"),
        ("/rest/v1/credit/quote", [], 422, "INVALID", None),
        ("/rest/v1/credit/hold", hold_body({"external_id": "nobody"}), 422, "CUSTOMER_NOT_FOUND", "customer"),
        ("/rest/v1/credit/hold", hold_body({"external_id": "57"}, amount="0"), 422, "INVALID", "amount"),
        ("/rest/v1/credit/release", {"order_external_id": ""}, 422, "INVALID", "order_external_id"),
        ("/rest/v1/coupons/validate", {**quote_body({}), "code": ""}, 422, "INVALID", "code"),
    ],
)
async def test_bad_requests_get_the_contracts_error_answers(
    client: ApiClient, path: str, body: Any, status: int, code: str, field: str | None
) -> None:
    """Typed errors are 422 with their code and the body field at fault (as the body spells it); a body
    that does not fit the route is 422 INVALID."""
    # given
    owner = await make_owner()
    headers = bearer(await make_store_key(owner))
    # when
    answer = await client.http.post(path, json=body, headers=headers)
    # then
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["message"]
    assert answer.json()["error"].get("field") == field


async def test_no_key_not_json_and_a_read_only_role_are_refused(client: ApiClient) -> None:
    """401 without a key, 400 for a body that is not JSON, 403 for a marketer (credit read-only)."""
    # given
    owner = await make_owner()
    headers = bearer(await make_store_key(owner))
    marketer = await tenancy.create_user(email="marketer@example.ir", password="correct horse battery")
    await tenancy.grant_role(user_id=marketer.id, tenant_id=owner.tenant.id, role="marketer")
    marketer_token = issue_access_token(marketer.id, secret=TEST_SECRET, minutes=30)
    # when
    anonymous = await client.http.post("/rest/v1/credit/hold", json=hold_body({"external_id": "57"}))
    not_json = await client.http.post("/rest/v1/credit/hold", content=b"{oops", headers=headers)
    read_only = await client.http.post(
        "/rest/v1/credit/hold", json=hold_body({"external_id": "57"}), headers=bearer(marketer_token)
    )
    # then
    assert (anonymous.status_code, not_json.status_code, read_only.status_code) == (401, 400, 403)
    assert not_json.json()["error"]["code"] == "INVALID_JSON"
    assert read_only.json()["error"]["code"] == "FORBIDDEN"


async def test_a_platform_admin_must_say_which_store(client: ApiClient) -> None:
    """Without X-Revisit-Tenant the quote is 422 TENANT_REQUIRED; with it, it is answered."""
    # given
    owner = await make_owner()
    admin = await tenancy.create_user(email="admin@revisit.ir", password="correct horse battery")
    await tenancy.grant_role(user_id=admin.id, tenant_id=None, role="platform_admin")
    token = issue_access_token(admin.id, secret=TEST_SECRET, minutes=30)
    body = quote_body({"external_id": "57"})
    # when
    ambiguous = await client.http.post("/rest/v1/credit/quote", json=body, headers=bearer(token))
    chosen = await client.http.post(
        "/rest/v1/credit/quote", json=body, headers={**bearer(token), "X-Revisit-Tenant": owner.tenant_id}
    )
    # then
    assert (ambiguous.status_code, ambiguous.json()["error"]["code"]) == (422, "TENANT_REQUIRED")
    assert (chosen.status_code, chosen.json()["customer_found"]) == (200, False)


async def test_another_stores_key_cannot_see_or_spend_this_stores_credit(client: ApiClient) -> None:
    """Store B's key: A's customer is not found, A's order releases nothing; naming store A is 403."""
    # given
    store_a, store_b = await make_owner(store="A"), await make_owner(store="B")
    key_a, key_b = await make_store_key(store_a), await make_store_key(store_b)
    customer = await funded(store_a, 120_000)
    who = {"external_id": customer.external_id, "phone": customer.phone}
    await client.http.post("/rest/v1/credit/hold", json=hold_body(who), headers=bearer(key_a))
    # when
    quote = await client.http.post("/rest/v1/credit/quote", json=quote_body(who), headers=bearer(key_b))
    hold = await client.http.post(
        "/rest/v1/credit/hold", json=hold_body(who, order="2"), headers=bearer(key_b)
    )
    release = await client.http.post(
        "/rest/v1/credit/release", json={"order_external_id": "1042"}, headers=bearer(key_b)
    )
    named = await client.http.post(
        "/rest/v1/credit/quote",
        json=quote_body(who),
        headers={**bearer(key_b), "X-Revisit-Tenant": store_a.tenant_id},
    )
    # then
    assert quote.json()["customer_found"] is False
    assert (hold.status_code, hold.json()["error"]["code"]) == (422, "CUSTOMER_NOT_FOUND")
    assert release.json()["released"] == "0"
    assert named.status_code == 403
    balances = await ledger.balances(
        tenant_id=store_a.tenant.id, customer_id=customer.id, now=datetime.now(UTC)
    )
    assert balances.available == 70_000


async def test_the_openapi_description_documents_the_checkout_routes(client: ApiClient) -> None:
    """Every checkout route is described, with request and answer schemas that resolve."""
    # when
    spec = (await client.http.get("/rest/v1/openapi.json")).json()
    # then
    assert "get" in spec["paths"]["/rest/v1/connection"]
    for path in ("credit/quote", "credit/hold", "credit/release", "coupons/validate"):
        assert "post" in spec["paths"][f"/rest/v1/{path}"]
    assert "409" in spec["paths"]["/rest/v1/credit/hold"]["post"]["responses"]
    refs = _refs(spec["paths"]) | _refs(spec["components"]["schemas"])
    assert refs <= {f"#/components/schemas/{name}" for name in spec["components"]["schemas"]}
    assert spec["components"]["schemas"]["CreditHoldRequest"]["required"] == [
        "order_external_id",
        "customer",
        "amount",
        "currency",
    ]


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        return {node["$ref"]} if "$ref" in node else set().union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()
