"""Casbin decisions are remembered per (roles, tenant, object, action) until the policy changes."""

from __future__ import annotations

from uuid import uuid4

from permissions.enforcer import load_enforcer
from permissions.principal import Principal


def store_key(tenant: str) -> Principal:
    return Principal(kind="store_key", id=uuid4(), roles={tenant: frozenset({"store"})})


async def test_a_remembered_decision_is_the_one_casbin_gives(db: None) -> None:
    """The cached answer matches Casbin's own, allowed and refused alike, on the first and later asks."""
    # given
    enforcer = await load_enforcer()
    roles = frozenset({"store"})
    # when
    first = [enforcer.allows(roles, "t1", "credit", "read"), enforcer.allows(roles, "t1", "members", "read")]
    again = [enforcer.allows(roles, "t1", "credit", "read"), enforcer.allows(roles, "t1", "members", "read")]
    # then
    assert first == again == [True, False]
    assert enforcer.enforce("store", "t1", "credit", "read") is True
    assert enforcer.enforce("store", "t1", "members", "read") is False
    assert len(enforcer.decisions) == 2


async def test_adding_and_removing_a_rule_changes_the_next_decision(db: None) -> None:
    """A rule added through the enforcer is seen at once, and so is its removal: nothing stale is kept."""
    # given
    enforcer = await load_enforcer()
    tenant = str(uuid4())
    roles = frozenset({"store"})
    assert enforcer.allows(roles, tenant, "members", "read") is False
    # when
    await enforcer.add_policy("store", tenant, "members", "read")
    granted = enforcer.allows(roles, tenant, "members", "read")
    await enforcer.remove_policy("store", tenant, "members", "read")
    revoked = enforcer.allows(roles, tenant, "members", "read")
    # then
    assert granted is True
    assert revoked is False


async def test_reloading_the_policy_forgets_every_decision(db: None) -> None:
    """load_policy() (a rule written elsewhere, then reloaded) empties the remembered decisions."""
    # given
    enforcer = await load_enforcer()
    enforcer.allows(frozenset({"owner"}), "t1", "credit", "write")
    # when
    await enforcer.load_policy()
    # then
    assert enforcer.decisions == {}
