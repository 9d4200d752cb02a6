"""Issuing codes: one at a time (idempotent on its key), in bulk (set-based, repeatable), revoking them,
and how a code reads in a message."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from uuid import uuid4

import pytest
from tortoise.transactions import in_transaction

from domain.coupons import codes, issuing
from domain.coupons import service as templates
from domain.coupons.models import Coupon
from domain.errors import DomainError
from tests.support.automation import make_customer, make_tenant
from tests.support.coupons import NOW, make_template

CODE = re.compile(r"^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$")


def test_drawn_codes_avoid_0_o_1_and_i() -> None:
    """10,000 drawn codes use only the human-friendly alphabet, carry the prefix and are distinct."""
    # when
    drawn = codes.draw(10_000, prefix="YALDA-")
    # then
    assert len(set(drawn)) == 10_000
    assert all(code.startswith("YALDA-") and CODE.match(code[6:]) for code in drawn)


@pytest.mark.parametrize(
    ("typed", "stored"), [(" yalda-7kx3 ", "YALDA-7KX3"), ("ab۲۳٤", "AB234"), ("ＡＢＣ", "ABC")]
)
def test_codes_are_stored_normalised(typed: str, stored: str) -> None:
    """Trimmed, upper case, Persian/Arabic digits and full-width letters as ASCII."""
    assert codes.normalise(typed) == stored


@pytest.mark.parametrize("prefix", ["TOO-LONG-PREFIX", "YA LDA", "یلدا", "A_B"])
def test_a_prefix_is_up_to_12_letters_digits_and_hyphens(prefix: str) -> None:
    """Anything else is INVALID naming the prefix."""
    with pytest.raises(DomainError) as error:
        codes.normalise_prefix(prefix)
    assert (error.value.code, error.value.field) == ("INVALID", "codePrefix")


async def test_issuing_twice_with_one_key_gives_one_code(db: None) -> None:
    """A retried issue answers with the first coupon, even concurrently."""
    # given
    tenant = await make_tenant()
    sara = await make_customer(tenant)
    template = await make_template(tenant, valid_days=7)

    async def issue() -> Coupon:
        async with in_transaction():
            return await issuing.issue(
                tenant_id=tenant.id, template_id=template.id, customer_id=sara.id, origin_key="run:1", now=NOW
            )

    # when
    first, second = await asyncio.gather(issue(), issue())
    again = await issue()
    # then
    assert first.id == second.id == again.id
    assert await Coupon.filter(tenant_id=tenant.id).count() == 1
    assert CODE.match(first.code) and first.customer_id == sara.id  # type: ignore[attr-defined]
    assert first.expires_at == NOW + timedelta(days=7)


async def test_a_codes_expiry_is_the_earlier_of_the_date_and_the_days(db: None) -> None:
    """Template date in 3 days, valid 7 days after issue: the code expires in 3 days."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant, expires_at=NOW + timedelta(days=3), valid_days=7)
    # when
    coupon = await issuing.issue(
        tenant_id=tenant.id, template_id=template.id, customer_id=None, origin_key="k", now=NOW
    )
    # then
    assert coupon.expires_at == NOW + timedelta(days=3)


async def test_archived_or_expired_templates_and_unknown_customers_issue_nothing(db: None) -> None:
    """TEMPLATE_ARCHIVED, TEMPLATE_EXPIRED, NOT_FOUND for another store's template or customer."""
    # given
    tenant, other = await make_tenant(name="A"), await make_tenant(name="B")
    archived = await make_template(tenant)
    await templates.archive(tenant_id=tenant.id, template_id=archived.id, now=NOW)
    expired = await make_template(tenant, expires_at=NOW - timedelta(seconds=1))
    theirs = await make_template(other)
    stranger = await make_customer(other)
    live = await make_template(tenant)
    cases = [
        (archived.id, None, "TEMPLATE_ARCHIVED"),
        (expired.id, None, "TEMPLATE_EXPIRED"),
        (theirs.id, None, "NOT_FOUND"),
        (live.id, stranger.id, "NOT_FOUND"),
        (uuid4(), None, "NOT_FOUND"),
    ]
    # when
    found = []
    for template_id, customer_id, _ in cases:
        with pytest.raises(DomainError) as error:
            await issuing.issue(
                tenant_id=tenant.id, template_id=template_id, customer_id=customer_id, origin_key="x", now=NOW
            )
        found.append(error.value.code)
    # then
    assert found == [code for _, _, code in cases]
    assert await Coupon.all().count() == 0


@pytest.mark.parametrize("key", ["", "   ", "k" * 161, "a\x00b"])
async def test_an_issue_needs_a_usable_key(db: None, key: str) -> None:
    """A blank, overlong or NUL key is INVALID naming originKey."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant)
    # when
    with pytest.raises(DomainError) as error:
        await issuing.issue(
            tenant_id=tenant.id, template_id=template.id, customer_id=None, origin_key=key, now=NOW
        )
    # then
    assert (error.value.code, error.value.field) == ("INVALID", "originKey")


async def test_bulk_generation_makes_unique_codes_and_repeats_make_only_what_is_missing(db: None) -> None:
    """5,000 shared codes, all distinct; the same request again makes none; 3 customers get one each."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant, code_prefix="NY")
    customers = [await make_customer(tenant) for _ in range(3)]
    # when
    first = await issuing.generate(
        tenant_id=tenant.id, template_id=template.id, origin_key="b1", now=NOW, count=5_000
    )
    repeat = await issuing.generate(
        tenant_id=tenant.id, template_id=template.id, origin_key="b1", now=NOW, count=5_000
    )
    personal = await issuing.generate(
        tenant_id=tenant.id,
        template_id=template.id,
        origin_key="b2",
        now=NOW,
        customer_ids=[c.id for c in customers] + [customers[0].id],
    )
    # then
    assert (first.created, first.existing, repeat.created, repeat.existing) == (5_000, 0, 0, 5_000)
    assert (personal.created, personal.existing) == (3, 0)
    stored = await Coupon.filter(tenant_id=tenant.id).values_list("code", flat=True)
    assert len(stored) == len(set(stored)) == 5_003
    assert all(str(code).startswith("NY") for code in stored)
    owners = await Coupon.filter(tenant_id=tenant.id, customer_id__isnull=False).values_list(
        "customer_id", flat=True
    )
    assert sorted(owners) == sorted(c.id for c in customers)


async def test_concurrent_bulk_generations_stay_unique(db: None) -> None:
    """Two requests of 2,000 codes at once, with different keys, make 4,000 distinct codes."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant)

    async def generate(key: str) -> issuing.Generated:
        async with in_transaction():
            return await issuing.generate(
                tenant_id=tenant.id, template_id=template.id, origin_key=key, now=NOW, count=2_000
            )

    # when
    results = await asyncio.gather(generate("x"), generate("y"))
    # then
    assert [result.created for result in results] == [2_000, 2_000]
    assert len(set(await Coupon.filter(tenant_id=tenant.id).values_list("code", flat=True))) == 4_000


@pytest.mark.parametrize(
    ("count", "customer_ids", "field"),
    [
        (0, None, "count"),
        (100_001, None, "count"),
        (-1, None, "count"),
        (None, None, "count"),
        (None, [], "customerIds"),
    ],
)
async def test_bulk_generation_limits(
    db: None, count: int | None, customer_ids: list | None, field: str
) -> None:
    """Between 1 and 100,000 codes, shared or per customer (one of the two), else INVALID."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant)
    # when
    with pytest.raises(DomainError) as error:
        await issuing.generate(
            tenant_id=tenant.id,
            template_id=template.id,
            origin_key="k",
            now=NOW,
            count=count,
            customer_ids=customer_ids,
        )
    # then
    assert (error.value.code, error.value.field) == ("INVALID", field)


async def test_revoking_is_idempotent(db: None) -> None:
    """The first revoke's moment stays; revoking another store's code is NOT_FOUND."""
    # given
    tenant, other = await make_tenant(name="A"), await make_tenant(name="B")
    coupon = await issuing.issue(
        tenant_id=tenant.id,
        template_id=(await make_template(tenant)).id,
        customer_id=None,
        origin_key="k",
        now=NOW,
    )
    # when
    await issuing.revoke(tenant_id=tenant.id, coupon_id=coupon.id, now=NOW)
    again = await issuing.revoke(tenant_id=tenant.id, coupon_id=coupon.id, now=NOW + timedelta(hours=1))
    # then
    assert again.revoked_at == NOW
    with pytest.raises(DomainError) as error:
        await issuing.revoke(tenant_id=other.id, coupon_id=coupon.id, now=NOW)
    assert error.value.code == "NOT_FOUND"


@pytest.mark.parametrize(
    ("locale", "terms", "text"),
    [
        ("fa", {"kind": "percent", "value": 15}, "۱۵٪"),
        ("fa", {"kind": "fixed", "value": 50_000}, "۵۰٬۰۰۰ تومان"),
        ("fa", {"kind": "free_shipping", "value": 0}, "ارسال رایگان"),
        ("en", {"kind": "percent", "value": 15}, "15%"),
        ("en", {"kind": "fixed", "value": 50_000}, "50,000 Toman"),
    ],
)
async def test_a_code_is_described_in_the_stores_language(
    db: None, locale: str, terms: dict, text: str
) -> None:
    """describe() gives the code, what it gives in the store's words, and the expiry."""
    # given
    tenant = await make_tenant(locale=locale)
    template = await make_template(tenant, valid_days=7, **terms)
    coupon = await issuing.issue(
        tenant_id=tenant.id, template_id=template.id, customer_id=None, origin_key="k", now=NOW
    )
    # when
    facts = issuing.describe(coupon, template, tenant)
    # then
    assert (facts.code, facts.value_text, facts.expires_at) == (coupon.code, text, NOW + timedelta(days=7))
