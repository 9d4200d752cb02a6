"""The audit trail: entries are written in the caller's transaction and read per store, action and subject."""

from __future__ import annotations

from uuid import uuid4

import pytest
from tortoise.transactions import in_transaction

from domain.audit import service as audit
from domain.audit.models import AuditEntry
from domain.errors import DomainError
from tests.support.automation import NOW, make_tenant


async def test_an_entry_rolls_back_with_the_action_it_records(db: None) -> None:
    """An entry recorded in a transaction that fails is gone with it; one that commits stays, as given."""
    # given
    tenant = await make_tenant()
    actor = uuid4()
    # when
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await audit.record(
                tenant_id=tenant.id,
                actor_user_id=actor,
                action="credit.adjusted",
                subject_type="customer",
                subject_id="lost",
                detail={},
                at=NOW,
            )
            raise RuntimeError("the action failed")
    async with in_transaction():
        kept = await audit.record(
            tenant_id=tenant.id,
            actor_user_id=actor,
            action="credit.adjusted",
            subject_type="customer",
            subject_id=uuid4(),
            detail={"amount": 5, "reason": "دلیل"},
            at=NOW,
        )
    # then
    rows = await AuditEntry.filter(tenant_id=tenant.id)
    assert [row.id for row in rows] == [kept.id]
    assert rows[0].detail == {"amount": 5, "reason": "دلیل"}
    assert rows[0].at == NOW


@pytest.mark.parametrize(
    ("action", "subject_type", "subject_id", "field"),
    [
        ("Credit.Adjusted", "customer", "x", "action"),
        ("", "customer", "x", "action"),
        ("a" * 65, "customer", "x", "action"),
        ("credit.adjusted", "cust omer", "x", "subjectType"),
        ("credit.adjusted", "customer", "", "subjectId"),
        ("credit.adjusted", "customer", "x" * 65, "subjectId"),
    ],
)
async def test_malformed_names_are_refused(
    db: None, action: str, subject_type: str, subject_id: str, field: str
) -> None:
    """Actions and subject types are dotted lower-case names; subject ids 1–64 characters."""
    # given
    tenant = await make_tenant()
    # when
    with pytest.raises(DomainError) as refused:
        await audit.record(
            tenant_id=tenant.id,
            actor_user_id=None,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            detail={},
        )
    # then
    assert refused.value.field == field


async def test_the_trail_is_per_store_and_filters_by_action_and_subject(db: None) -> None:
    """Another store's entries never show; action and subject narrow the trail."""
    # given
    mine, theirs = await make_tenant(), await make_tenant()
    for tenant, action, subject in [
        (mine, "credit.adjusted", "c1"),
        (mine, "credit.adjusted", "c2"),
        (mine, "coupon.revoked", "c1"),
        (theirs, "credit.adjusted", "c1"),
    ]:
        await audit.record(
            tenant_id=tenant.id,
            actor_user_id=None,
            action=action,
            subject_type="customer",
            subject_id=subject,
            detail={},
        )
    # when
    everything = await audit.trail(tenant_id=mine.id).count()
    adjusted = await audit.trail(tenant_id=mine.id, action="credit.adjusted").count()
    about_c1 = await audit.trail(tenant_id=mine.id, subject_type="customer", subject_id="c1").count()
    # then
    assert (everything, adjusted, about_c1) == (3, 2, 2)
