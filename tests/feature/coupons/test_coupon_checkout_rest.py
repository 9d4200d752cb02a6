"""POST /rest/v1/coupons/validate as the plugin calls it with its store key: valid codes with their
discount for the cart, refusals with their exact reason, limits on every field, the OpenAPI description."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.coupons import issuing
from tests.support.api import ApiClient
from tests.support.coupons import make_coupon, make_template
from tests.support.factories import Owner, make_owner, make_store_key
from tests.support.shop import customer_named, deliver, order_event

NOW = datetime.now(UTC).replace(microsecond=0)
PATH = "/rest/v1/coupons/validate"


async def plugin(owner: Owner) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_store_key(owner)}"}


def body(code: str, **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "customer": {"external_id": "57"},
        "cart_total": "1250000",
        "currency": "IRT",
        **changes,
    }


async def test_a_valid_percent_code_answers_its_discount_for_the_cart(client: ApiClient, db: None) -> None:
    """15 % of the eligible tea line (600,000), at most 80,000: discount 80,000, typed as WooCommerce says."""
    # given
    owner = await make_owner()
    template = await make_template(owner.tenant.id, value=15, maximum_discount=80_000, category_ids=["tea"])
    coupon = await make_coupon(template, now=NOW)
    lines = [
        {"product_id": "88", "total": "600000", "category_ids": ["tea"]},
        {"product_id": "90", "total": "650000", "category_ids": ["mugs"]},
    ]
    # when
    answer = await client.http.post(
        PATH, json=body(coupon.code.lower(), lines=lines), headers=await plugin(owner)
    )
    # then
    assert answer.status_code == 200
    assert answer.json() == {
        "valid": True,
        "code": coupon.code.lower(),
        "message": template.name,
        "discount_type": "percent",
        "amount": "15",
        "discount": "80000",
        "free_shipping": False,
    }


async def test_fixed_and_free_shipping_codes(client: ApiClient, db: None) -> None:
    """A fixed code is fixed_cart with its amount; free shipping is fixed_cart 0 with free_shipping and the
    shipping as the discount; expiry is given when there is one."""
    # given
    owner = await make_owner()
    headers = await plugin(owner)
    fixed = await make_coupon(
        await make_template(owner.tenant.id, kind="fixed", value=50_000, valid_days=3), now=NOW
    )
    shipping = await make_coupon(await make_template(owner.tenant.id, kind="free_shipping", value=0), now=NOW)
    # when
    first = (await client.http.post(PATH, json=body(fixed.code), headers=headers)).json()
    second = (
        await client.http.post(PATH, json=body(shipping.code, shipping_total="45000"), headers=headers)
    ).json()
    # then
    assert (first["discount_type"], first["amount"], first["discount"]) == ("fixed_cart", "50000", "50000")
    assert datetime.fromisoformat(first["expires_at"]) == NOW + timedelta(days=3)
    assert (second["discount_type"], second["amount"], second["free_shipping"], second["discount"]) == (
        "fixed_cart",
        "0",
        True,
        "45000",
    )


async def test_refusals_carry_the_exact_reason_and_no_discount(client: ApiClient, db: None) -> None:
    """Another customer's code, a revoked one, a code below its minimum: valid false with the reason only."""
    # given
    owner = await make_owner()
    headers = await plugin(owner)
    await deliver(owner.tenant.id, [order_event(customer="sara", placed_at=NOW)], now=NOW)
    sara = await customer_named(owner.tenant.id, "sara")
    theirs = await make_coupon(await make_template(owner.tenant.id), customer_id=sara.id, now=NOW)
    revoked = await make_coupon(await make_template(owner.tenant.id), now=NOW)
    await issuing.revoke(tenant_id=owner.tenant.id, coupon_id=revoked.id, now=NOW)
    minimum = await make_coupon(await make_template(owner.tenant.id, minimum_cart=2_000_000), now=NOW)
    # when
    answers = [
        (await client.http.post(PATH, json=body(code), headers=headers)).json()
        for code in (theirs.code, revoked.code, minimum.code)
    ]
    mine = (
        await client.http.post(
            PATH, json=body(theirs.code, customer={"external_id": "sara"}), headers=headers
        )
    ).json()
    # then
    assert [(a["valid"], a["reason"], set(a)) for a in answers] == [
        (False, reason, {"valid", "code", "reason", "message"})
        for reason in ("not_your_code", "revoked", "below_minimum")
    ]
    assert mine["valid"] is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "X" * 65}, "code"),
        ({"code": ""}, "code"),
        ({"lines": [{"product_id": "1", "total": "1"}] * 501}, "lines"),
        ({"lines": [{"product_id": "", "total": "1"}]}, "lines.0.product_id"),
        ({"lines": [{"product_id": "1", "total": "-5"}]}, "lines.0.total"),
        ({"lines": [{"product_id": "1", "total": "1", "category_ids": ["c"] * 51}]}, "lines.0.category_ids"),
        ({"shipping_total": "-1"}, "shipping_total"),
        ({"shipping_total": "9" * 41}, "shipping_total"),
        ({"cart_total": "1e400"}, "cart_total"),
    ],
)
async def test_every_field_has_its_limits(
    client: ApiClient, db: None, changes: dict[str, Any], field: str
) -> None:
    """Overlong, empty, negative or too many: 422 INVALID naming the field, never a 500."""
    # given
    owner = await make_owner()
    # when
    answer = await client.http.post(PATH, json={**body("ABC"), **changes}, headers=await plugin(owner))
    # then
    assert answer.status_code == 422
    assert (answer.json()["error"]["code"], answer.json()["error"].get("field")) == ("INVALID", field)


async def test_the_same_check_twice_and_at_once_gives_the_same_answer(client: ApiClient, db: None) -> None:
    """A check only reads: repeating it, even concurrently, answers the same and uses nothing."""
    # given
    owner = await make_owner()
    headers = await plugin(owner)
    coupon = await make_coupon(await make_template(owner.tenant.id, usage_limit=1), now=NOW)
    # when
    answers = await asyncio.gather(
        *(client.http.post(PATH, json=body(coupon.code), headers=headers) for _ in range(5))
    )
    # then
    assert {answer.json()["discount"] for answer in answers} == {"187500"}
    assert (await issuing.get(tenant_id=owner.tenant.id, coupon_id=coupon.id)).redemptions_count == 0


async def test_the_openapi_description_lists_the_reasons_and_cart_lines(client: ApiClient) -> None:
    """The operation names every reason; the request takes lines and shipping; the answer the discount."""
    # when
    spec = (await client.http.get("/rest/v1/openapi.json")).json()
    # then
    operation = spec["paths"][PATH]["post"]
    assert "used_up_for_customer" in operation["description"]
    schemas = spec["components"]["schemas"]
    assert {"lines", "shipping_total"} <= set(schemas["CouponCheckRequest"]["properties"])
    assert schemas["CouponCheckRequest"]["properties"]["lines"]["maxItems"] == 500
    assert {"discount_type", "amount", "discount", "free_shipping", "expires_at"} <= set(
        schemas["CouponCheckAnswer"]["properties"]
    )
