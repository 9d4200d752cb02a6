"""Automation queries: the store's journeys (automations), their runs and each run's step events."""

from __future__ import annotations

import strawberry

from domain.automation import service as automations
from domain.errors import NotFound
from graph.automation.types import Automation, AutomationRun, AutomationRunState, AutomationStatus
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can

READ = [Can("automations", "read")]


@strawberry.type
class AutomationQuery:
    @strawberry.field(description="The store's automations, newest first.", permission_classes=READ)
    async def automations(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        status: AutomationStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Automation]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return await paginate(
            automations.list(tenant_id=scope, status=status.value if status else None),
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=Automation.from_model,
        )

    @strawberry.field(description="One of the store's automations.", permission_classes=READ)
    async def automation(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> Automation | None:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        automation = await info.context.loaders.automations.load((scope, to_uuid(id, what="Automation")))
        if automation is None:
            raise NotFound("Automation")
        return Automation.from_model(automation)

    @strawberry.field(
        description="One run of the store's journeys, with its step events.", permission_classes=READ
    )
    async def automation_run(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> AutomationRun | None:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        run = (
            await automations.list_runs(tenant_id=scope).filter(id=to_uuid(id, what="Automation run")).first()
        )
        if run is None:
            raise NotFound("Automation run")
        return AutomationRun.from_model(run)

    @strawberry.field(
        description="Runs of the store's journeys (of one, when automationId is given), newest first.",
        permission_classes=READ,
    )
    async def automation_runs(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        automation_id: strawberry.ID | None = None,
        state: AutomationRunState | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AutomationRun]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        runs = automations.list_runs(
            tenant_id=scope,
            automation_id=to_uuid(automation_id, what="Automation", field="automationId")
            if automation_id
            else None,
            state=state.value if state else None,
        )
        return await paginate(
            runs,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=AutomationRun.from_model,
        )
