"""The process-wide Casbin enforcer and the one function that answers "may this principal do that"."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import casbin

from permissions.adapter import TortoiseAdapter
from permissions.principal import PLATFORM, Principal

MODEL_FILE = Path(__file__).with_name("model.conf")

_enforcer: casbin.AsyncEnforcer | None = None


async def load_enforcer() -> casbin.AsyncEnforcer:
    """Build the enforcer from the model, the default policy and the rules in the database."""
    global _enforcer
    enforcer = casbin.AsyncEnforcer(str(MODEL_FILE), TortoiseAdapter())
    await enforcer.load_policy()
    _enforcer = enforcer
    return enforcer


def get_enforcer() -> casbin.AsyncEnforcer:
    if _enforcer is None:
        raise RuntimeError("The permission enforcer is not loaded; call load_enforcer() at start-up.")
    return _enforcer


def is_allowed(principal: Principal, tenant_id: UUID | None, obj: str, act: str) -> bool:
    """True when one of the principal's roles in ``tenant_id`` grants ``act`` on ``obj``."""
    domain = str(tenant_id) if tenant_id else PLATFORM
    enforcer = get_enforcer()
    return any(enforcer.enforce(role, domain, obj, act) for role in principal.roles_in(tenant_id))
