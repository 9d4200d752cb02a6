"""The process-wide Casbin enforcer and the one function that answers "may this principal do that".

Casbin's matcher is evaluated in Python for every policy line, which made it a tenth of a checkout
request's time. Its decisions depend only on the policy and on (roles, tenant, object, action), so
:func:`is_allowed` remembers them per that key, and every change to the policy (loading it again,
adding, updating or removing rules through the enforcer) forgets them all.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, Final, TypeVar
from uuid import UUID

import casbin

from permissions.adapter import TortoiseAdapter
from permissions.principal import PLATFORM, Principal

MODEL_FILE = Path(__file__).with_name("model.conf")
MAX_CACHED_DECISIONS: Final = 10_000
"""Past this many remembered decisions the cache starts afresh (one entry per role set, tenant, object
and action asked about; a few dozen per store in practice)."""

Decision = tuple[frozenset[str], str, str, str]
_Method = TypeVar("_Method", bound=Callable[..., Any])


def _forgets_decisions(method: _Method) -> _Method:
    """Wrap a policy-changing coroutine method so the enforcer's remembered decisions are dropped."""

    @wraps(method)
    async def changing(self: CachingEnforcer, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(self, *args, **kwargs)
        finally:
            self.decisions.clear()

    return changing  # type: ignore[return-value]


class CachingEnforcer(casbin.AsyncEnforcer):
    """An ``AsyncEnforcer`` that remembers decisions until its policy changes."""

    decisions: dict[Decision, bool]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.decisions = {}
        super().__init__(*args, **kwargs)

    load_policy = _forgets_decisions(casbin.AsyncEnforcer.load_policy)
    load_filtered_policy = _forgets_decisions(casbin.AsyncEnforcer.load_filtered_policy)
    _add_policy = _forgets_decisions(casbin.AsyncEnforcer._add_policy)
    _add_policies = _forgets_decisions(casbin.AsyncEnforcer._add_policies)
    _update_policy = _forgets_decisions(casbin.AsyncEnforcer._update_policy)
    _update_policies = _forgets_decisions(casbin.AsyncEnforcer._update_policies)
    _update_filtered_policies = _forgets_decisions(casbin.AsyncEnforcer._update_filtered_policies)
    _remove_policy = _forgets_decisions(casbin.AsyncEnforcer._remove_policy)
    _remove_policies = _forgets_decisions(casbin.AsyncEnforcer._remove_policies)
    _remove_filtered_policy = _forgets_decisions(casbin.AsyncEnforcer._remove_filtered_policy)

    def clear_policy(self) -> None:
        super().clear_policy()
        self.decisions.clear()

    def build_role_links(self) -> None:
        super().build_role_links()
        self.decisions.clear()

    def allows(self, roles: frozenset[str], domain: str, obj: str, act: str) -> bool:
        """Whether one of ``roles`` may ``act`` on ``obj`` in ``domain``, until the policy changes."""
        key = (roles, domain, obj, act)
        decision = self.decisions.get(key)
        if decision is None:
            decision = any(self.enforce(role, domain, obj, act) for role in sorted(roles))
            if len(self.decisions) >= MAX_CACHED_DECISIONS:
                self.decisions.clear()
            self.decisions[key] = decision
        return decision


_enforcer: CachingEnforcer | None = None


async def load_enforcer() -> CachingEnforcer:
    """Build the enforcer from the model, the default policy and the rules in the database."""
    global _enforcer
    enforcer = CachingEnforcer(str(MODEL_FILE), TortoiseAdapter())
    await enforcer.load_policy()
    _enforcer = enforcer
    return enforcer


def get_enforcer() -> CachingEnforcer:
    if _enforcer is None:
        raise RuntimeError("The permission enforcer is not loaded; call load_enforcer() at start-up.")
    return _enforcer


def is_allowed(principal: Principal, tenant_id: UUID | None, obj: str, act: str) -> bool:
    """True when one of the principal's roles in ``tenant_id`` grants ``act`` on ``obj``."""
    domain = str(tenant_id) if tenant_id else PLATFORM
    return get_enforcer().allows(principal.roles_in(tenant_id), domain, obj, act)
