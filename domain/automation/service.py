"""Automations an owner configures, and their runs. Every call is scoped to one tenant.

An automation's status moves ``draft → active ⇄ paused``; only active automations enrol customers.
Editing the definition bumps ``version``; runs already enrolled keep the version and the copy of the
definition they were enrolled with. Callers own the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from tortoise.queryset import QuerySet

from domain.automation.definition import AutomationDefinition
from domain.automation.models import Automation, AutomationRun
from domain.errors import DomainError, NotFound

DRAFT: Final = "draft"
ACTIVE: Final = "active"
PAUSED: Final = "paused"

_MAX_NAME = 200


async def create(*, tenant_id: UUID, name: str, definition: AutomationDefinition) -> Automation:
    """A new automation in ``draft``, version 1. It enrols nobody until activated."""
    return await Automation.create(
        tenant_id=tenant_id,
        name=_clean_name(name),
        status=DRAFT,
        trigger=definition.trigger_key,
        definition=definition.to_json(),
        version=1,
    )


async def update(
    *,
    tenant_id: UUID,
    automation_id: UUID,
    name: str | None = None,
    definition: AutomationDefinition | None = None,
) -> Automation:
    """Rename an automation and/or replace its definition; a new definition bumps ``version``.

    Runs already enrolled are untouched: they carry the definition they were enrolled with.
    """
    automation = await _locked(tenant_id=tenant_id, automation_id=automation_id)
    if name is not None:
        automation.name = _clean_name(name)
    if definition is not None:
        automation.definition = definition.to_json()
        automation.trigger = definition.trigger_key
        automation.version += 1
    await automation.save()
    return automation


async def activate(*, tenant_id: UUID, automation_id: UUID, now: datetime) -> Automation:
    """Start enrolling customers: a draft or paused automation becomes active."""
    return await _move(tenant_id=tenant_id, automation_id=automation_id, to=ACTIVE, now=now)


async def pause(*, tenant_id: UUID, automation_id: UUID, now: datetime) -> Automation:
    """Stop enrolling customers (runs already enrolled carry on): an active automation becomes paused."""
    return await _move(tenant_id=tenant_id, automation_id=automation_id, to=PAUSED, now=now)


async def get(*, tenant_id: UUID, automation_id: UUID) -> Automation:
    """The tenant's automation, or ``NOT_FOUND`` (which is also what another tenant's looks like)."""
    automation = await Automation.get_or_none(id=automation_id, tenant_id=tenant_id)
    if automation is None:
        raise NotFound("Automation")
    return automation


def list(*, tenant_id: UUID, status: str | None = None) -> QuerySet[Automation]:
    """The tenant's automations, optionally only those in ``status``."""
    queryset = Automation.filter(tenant_id=tenant_id)
    return queryset.filter(status=status) if status else queryset


def list_runs(
    *, tenant_id: UUID, automation_id: UUID | None = None, state: str | None = None
) -> QuerySet[AutomationRun]:
    """The tenant's automation runs, optionally of one automation and/or in one state."""
    queryset = AutomationRun.filter(tenant_id=tenant_id)
    if automation_id is not None:
        queryset = queryset.filter(automation_id=automation_id)
    return queryset.filter(state=state) if state else queryset


_TRANSITIONS: Final = {(DRAFT, ACTIVE), (PAUSED, ACTIVE), (ACTIVE, PAUSED)}


async def _move(*, tenant_id: UUID, automation_id: UUID, to: str, now: datetime) -> Automation:
    automation = await _locked(tenant_id=tenant_id, automation_id=automation_id)
    if (automation.status, to) not in _TRANSITIONS:
        raise DomainError(
            "INVALID_STATE", f"An automation that is {automation.status} cannot become {to}.", field="id"
        )
    automation.status = to
    if to == ACTIVE:
        automation.activated_at = now
    await automation.save(update_fields=["status", "activated_at", "updated_at"])
    return automation


async def _locked(*, tenant_id: UUID, automation_id: UUID) -> Automation:
    automation = await Automation.select_for_update().get_or_none(id=automation_id, tenant_id=tenant_id)
    if automation is None:
        raise NotFound("Automation")
    return automation


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise DomainError("INVALID", "An automation needs a name.", field="name")
    if len(cleaned) > _MAX_NAME:
        raise DomainError("INVALID", f"A name has at most {_MAX_NAME} characters.", field="name")
    return cleaned
