"""Coupon templates: their terms validated at their limits, created once, edited, archived."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from tortoise.transactions import in_transaction

from domain.coupons import service as templates
from domain.coupons.models import CouponTemplate
from domain.errors import DomainError
from tests.support.automation import make_tenant
from tests.support.coupons import NOW, make_template

BASE: dict[str, Any] = {"name": "Winback 15", "kind": "percent", "value": 15}


@pytest.mark.parametrize(
    "changes",
    [
        {"value": 0},
        {"value": 101},
        {"value": -1},
        {"kind": "fixed", "value": 0},
        {"kind": "fixed", "value": 10**15 + 1},
        {"kind": "free_shipping", "value": 5},
        {"kind": "gift"},
        {"name": ""},
        {"name": "x" * 121},
        {"name": "a\x00b"},
        {"description": "d" * 501},
        {"minimum_cart": -1},
        {"maximum_discount": 0},
        {"usage_limit": 0},
        {"usage_limit_per_customer": 10_001},
        {"valid_days": 0},
        {"valid_days": 3_651},
        {"product_ids": ["p"] * 1_001},
        {"product_ids": [""]},
        {"category_ids": ["tea"], "excluded_category_ids": ["tea"]},
        {"starts_at": NOW, "expires_at": NOW},
        {"expires_at": NOW.replace(tzinfo=None)},
        {"code_prefix": "has space"},
        {"unknown": 1},
    ],
)
def test_terms_outside_their_limits_are_refused(changes: dict[str, Any]) -> None:
    """Each impossible or unbounded term is a validation error, never stored."""
    with pytest.raises(ValidationError):
        templates.TemplateIn(**{**BASE, **changes})


def test_terms_at_their_limits_are_accepted() -> None:
    """1 % and 100 %, the largest fixed amount, 3,650 days, 1,000 product ids, a 12-character prefix."""
    for changes in (
        {"value": 1},
        {"value": 100},
        {"kind": "fixed", "value": 10**15, "maximum_discount": 10**15},
        {"valid_days": 3_650, "usage_limit": 10**9, "usage_limit_per_customer": 10_000},
        {"product_ids": [str(n) for n in range(1_000)]},
        {"code_prefix": "yalda-1403ab", "name": "x" * 120},
    ):
        templates.TemplateIn(**{**BASE, **changes})
    assert templates.TemplateIn(**{**BASE, "code_prefix": "yalda-"}).code_prefix == "YALDA-"


async def test_creating_the_same_template_twice_answers_the_first(db: None) -> None:
    """Same name and terms: the same row; same name, other terms: NAME_TAKEN."""
    # given
    tenant = await make_tenant()
    first = await templates.create(tenant_id=tenant.id, template_in=templates.TemplateIn(**BASE))
    # when
    again = await templates.create(tenant_id=tenant.id, template_in=templates.TemplateIn(**BASE))
    # then
    assert again.id == first.id
    with pytest.raises(DomainError) as error:
        await templates.create(tenant_id=tenant.id, template_in=templates.TemplateIn(**{**BASE, "value": 20}))
    assert error.value.code == "NAME_TAKEN"
    assert await CouponTemplate.filter(tenant_id=tenant.id).count() == 1


async def test_the_same_template_created_twice_at_once_is_one_template(db: None) -> None:
    """Two concurrent creates of the same name and terms both answer the one row made."""
    # given
    tenant = await make_tenant()

    async def create() -> CouponTemplate:
        async with in_transaction():
            return await templates.create(tenant_id=tenant.id, template_in=templates.TemplateIn(**BASE))

    # when
    first, second = await asyncio.gather(create(), create())
    # then
    assert first.id == second.id
    assert await CouponTemplate.filter(tenant_id=tenant.id).count() == 1


async def test_an_update_is_validated_as_a_whole(db: None) -> None:
    """Changing kind to percent keeps the other terms and refuses a value the new kind cannot take."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant, kind="fixed", value=50_000, product_ids=["1"])
    # when
    with pytest.raises(DomainError) as error:
        await templates.update(tenant_id=tenant.id, template_id=template.id, changes={"kind": "percent"})
    updated = await templates.update(
        tenant_id=tenant.id,
        template_id=template.id,
        changes={"kind": "percent", "value": 10, "product_ids": None},
    )
    # then
    assert (error.value.code, error.value.field) == ("INVALID", "value")
    assert (updated.kind, updated.value, updated.product_ids) == ("percent", 10, [])


async def test_an_update_refuses_a_taken_name_and_unknown_terms(db: None) -> None:
    """Renaming onto another template is NAME_TAKEN; a term that does not exist is INVALID."""
    # given
    tenant = await make_tenant()
    first, second = await make_template(tenant, name="A"), await make_template(tenant, name="B")
    # when / then
    with pytest.raises(DomainError) as taken:
        await templates.update(tenant_id=tenant.id, template_id=second.id, changes={"name": first.name})
    with pytest.raises(DomainError) as unknown:
        await templates.update(tenant_id=tenant.id, template_id=second.id, changes={"tenant_id": "x"})
    assert (taken.value.code, unknown.value.code) == ("NAME_TAKEN", "INVALID")


async def test_archiving_stops_edits_and_is_idempotent(db: None) -> None:
    """An archived template keeps its first archive time and refuses edits (TEMPLATE_ARCHIVED)."""
    # given
    tenant = await make_tenant()
    template = await make_template(tenant)
    # when
    await templates.archive(tenant_id=tenant.id, template_id=template.id, now=NOW)
    again = await templates.archive(tenant_id=tenant.id, template_id=template.id, now=NOW + timedelta(days=1))
    # then
    assert again.archived_at == NOW
    with pytest.raises(DomainError) as error:
        await templates.update(tenant_id=tenant.id, template_id=template.id, changes={"value": 20})
    assert error.value.code == "TEMPLATE_ARCHIVED"


async def test_another_stores_template_is_not_found(db: None) -> None:
    """get, update and archive answer NOT_FOUND for a template of another store."""
    # given
    mine, theirs = await make_tenant(name="A"), await make_tenant(name="B")
    template = await make_template(theirs)
    # when / then
    for call in (
        templates.get(tenant_id=mine.id, template_id=template.id),
        templates.update(tenant_id=mine.id, template_id=template.id, changes={"value": 20}),
        templates.archive(tenant_id=mine.id, template_id=template.id, now=NOW),
    ):
        with pytest.raises(DomainError) as error:
            await call
        assert error.value.code == "NOT_FOUND"
