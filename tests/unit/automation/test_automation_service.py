"""Automations as a store owner manages them: drafts, versions, the status machine, tenant scope."""

from __future__ import annotations

import pytest

from domain.automation import service as automations
from domain.errors import DomainError
from tests.support.automation import NOW, definition, make_tenant


async def test_a_new_automation_is_a_version_1_draft(db: None) -> None:
    """Creating stores the definition as JSON and the trigger in its own column."""
    # given
    tenant = await make_tenant()
    # when
    automation = await automations.create(tenant_id=tenant.id, name="  Cashback  ", definition=definition())
    # then
    assert (automation.name, automation.status, automation.version) == ("Cashback", "draft", 1)
    assert automation.trigger == "order.completed"
    assert automation.definition == definition().to_json()


async def test_a_new_definition_bumps_the_version_and_a_rename_does_not(db: None) -> None:
    """Only the definition is versioned: runs pin it, not the name."""
    # given
    tenant = await make_tenant()
    created = await automations.create(tenant_id=tenant.id, name="A", definition=definition())
    # when
    renamed = await automations.update(tenant_id=tenant.id, automation_id=created.id, name="B")
    edited = await automations.update(
        tenant_id=tenant.id, automation_id=created.id, definition=definition(conditions=[])
    )
    # then
    assert (renamed.name, renamed.version) == ("B", 1)
    assert (edited.version, edited.definition["conditions"]) == (2, [])


async def test_status_moves_from_draft_to_active_and_between_active_and_paused(db: None) -> None:
    """draft → active → paused → active is allowed; pausing a draft or re-activating is INVALID_STATE."""
    # given
    tenant = await make_tenant()
    automation = await automations.create(tenant_id=tenant.id, name="A", definition=definition())
    scope = dict(tenant_id=tenant.id, automation_id=automation.id, now=NOW)
    # when
    with pytest.raises(DomainError) as pausing_a_draft:
        await automations.pause(**scope)
    statuses = [
        (await automations.activate(**scope)).status,
        (await automations.pause(**scope)).status,
        (await automations.activate(**scope)).status,
    ]
    with pytest.raises(DomainError) as activating_twice:
        await automations.activate(**scope)
    # then
    assert statuses == ["active", "paused", "active"]
    assert pausing_a_draft.value.code == activating_twice.value.code == "INVALID_STATE"
    assert (await automations.get(tenant_id=tenant.id, automation_id=automation.id)).activated_at == NOW


async def test_another_stores_automation_is_not_found(db: None) -> None:
    """Reading, editing or activating another store's automation is NOT_FOUND and changes nothing."""
    # given
    mine, theirs = await make_tenant(name="Mine"), await make_tenant(name="Theirs")
    their = await automations.create(tenant_id=theirs.id, name="Theirs", definition=definition())
    # when
    codes = []
    for attempt in (
        automations.get(tenant_id=mine.id, automation_id=their.id),
        automations.update(tenant_id=mine.id, automation_id=their.id, name="Hijacked"),
        automations.activate(tenant_id=mine.id, automation_id=their.id, now=NOW),
    ):
        with pytest.raises(DomainError) as error:
            await attempt
        codes.append(error.value.code)
    # then
    assert codes == ["NOT_FOUND"] * 3
    assert await automations.list(tenant_id=mine.id).count() == 0
    unchanged = await automations.get(tenant_id=theirs.id, automation_id=their.id)
    assert (unchanged.name, unchanged.status) == ("Theirs", "draft")
