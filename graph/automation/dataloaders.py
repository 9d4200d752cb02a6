"""Batch functions of the automation context: journeys by id, their versions and runs' step events,
within a tenant."""

from __future__ import annotations

from collections.abc import Sequence

from domain.automation.models import Automation, AutomationStepEvent, AutomationVersion
from graph.core.batching import TenantKey, children_by_key, rows_by_key


async def load_automations(keys: Sequence[TenantKey]) -> list[Automation | None]:
    return await rows_by_key(Automation, keys)


async def load_automation_versions(keys: Sequence[TenantKey]) -> list[list[AutomationVersion]]:
    """Each journey's versions (keys: (tenant, journey id))."""
    return await children_by_key(AutomationVersion, keys, parent="automation_id", order_by="version")


async def load_step_events(keys: Sequence[TenantKey]) -> list[list[AutomationStepEvent]]:
    """Each run's step events in order (keys: (tenant, run id))."""
    return await children_by_key(AutomationStepEvent, keys, parent="run_id", order_by="id")
