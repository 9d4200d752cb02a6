"""migrateJourneyRuns: move a journey's runs in flight to its newest version."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

from domain.automation import service as automations
from graph.automation.types import (
    WRITE,
    Automation,
    AutomationError,
    AutomationErrorCode,
)
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.ids import optional_uuid, to_uuid


@strawberry.type(description="What migrating a journey's runs did.")
class MigrateJourneyRunsPayload:
    automation: Automation | None = None
    version: int | None = strawberry.field(default=None, description="The version the runs now follow.")
    moved: int = strawberry.field(default=0, description="Open runs that go on in the newest version.")
    exited: int = strawberry.field(
        default=0,
        description="Open runs that exited (reason migrated): none of their remaining steps is left.",
    )
    errors: list[AutomationError] = strawberry.field(default_factory=list)


@strawberry.type
class MigrateJourneyRunsMutation:
    @strawberry.mutation(
        description="Move the journey's open runs to its newest version, by step id: a run goes on from "
        "its next step, or from the first later step of its version that still exists; with none left it "
        "exits with reason migrated. Waiting runs keep their due time. Repeating it changes nothing.",
        permission_classes=WRITE,
        extensions=errors_as_data(MigrateJourneyRunsPayload, AutomationError, AutomationErrorCode),
    )
    async def migrate_journey_runs(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> MigrateJourneyRunsPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        automation_id = to_uuid(id, what="Automation")
        async with in_transaction():
            migration = await automations.migrate_runs(
                tenant_id=scope, automation_id=automation_id, now=datetime.now(UTC)
            )
            automation = await automations.get(tenant_id=scope, automation_id=automation_id)
        return MigrateJourneyRunsPayload(
            automation=Automation.from_model(automation),
            version=migration.version,
            moved=migration.moved,
            exited=migration.exited,
        )
