"""Batch functions of the automation context: automations by id, within a tenant."""

from __future__ import annotations

from collections.abc import Sequence

from domain.automation.models import Automation
from graph.core.batching import TenantKey, rows_by_key


async def load_automations(keys: Sequence[TenantKey]) -> list[Automation | None]:
    return await rows_by_key(Automation, keys)
