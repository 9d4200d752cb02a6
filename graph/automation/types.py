"""GraphQL types of the automation context: journeys (automations), their versions, runs and step
events, and their errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.scalars import JSON

from domain.automation import models
from domain.automation.definition import InvalidDefinition
from graph.core.context import Info
from graph.core.errors import DomainErrorsAsData
from graph.core.permissions import Can


@strawberry.enum(description="Where a journey is in its life: only ACTIVE ones enrol customers.")
class AutomationStatus(Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"


@strawberry.enum(description="Where a run is: PENDING and WAITING have steps to do; the others are final.")
class AutomationRunState(Enum):
    PENDING = "pending"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    EXITED = "exited"


@strawberry.enum(description="How one step of a run ended.")
class StepOutcome(Enum):
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    EXITED = "exited"
    WAITING = "waiting"


@strawberry.type(description="One saved definition of a journey. Runs keep the version they started with.")
class AutomationVersion:
    version: int
    definition: JSON = strawberry.field(description="The definition as it was saved (schema_version 2).")
    created_at: datetime

    @classmethod
    def from_model(cls, version: models.AutomationVersion) -> AutomationVersion:
        return cls(
            version=version.version, definition=JSON(version.definition), created_at=version.created_at
        )


@strawberry.type(
    description="A journey a store owner configured: a trigger, conditions, an entry rule and ordered "
    "steps (see docs/journeys.md)."
)
class Automation:
    id: strawberry.ID
    name: str
    status: AutomationStatus
    trigger: str = strawberry.field(
        description="What starts it: an event (order.completed, customer.created, segment.entered, …), "
        "nth_order, or a daily date trigger (days_since_last_order, birthday, …)."
    )
    version: int = strawberry.field(description="Goes up by one every time the definition changes.")
    definition: JSON = strawberry.field(description="The newest definition as JSON (schema_version 2).")
    enrolled_count: int = strawberry.field(description="Enrolments the journey has made (what a cap counts).")
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None = strawberry.field(description="When it was last activated.")
    tenant_id: strawberry.Private[UUID]
    pk: strawberry.Private[UUID]

    @strawberry.field(description="Every version of the definition, newest first.")
    async def versions(self, info: Info) -> list[AutomationVersion]:
        rows = await info.context.loaders.automation_versions.load((self.tenant_id, self.pk))
        return [AutomationVersion.from_model(row) for row in sorted(rows, key=lambda r: -r.version)]

    @classmethod
    def from_model(cls, automation: models.Automation) -> Automation:
        return cls(
            id=strawberry.ID(str(automation.id)),
            name=automation.name,
            status=AutomationStatus(automation.status),
            trigger=automation.trigger,
            version=automation.version,
            definition=JSON(automation.definition),
            enrolled_count=automation.enrolled_count,
            created_at=automation.created_at,
            updated_at=automation.updated_at,
            activated_at=automation.activated_at,
            tenant_id=automation.tenant_id,  # type: ignore[attr-defined]
            pk=automation.id,
        )


@strawberry.type(description="What one step of a run did, and when.")
class AutomationStepEvent:
    step_id: str
    step_type: str
    outcome: StepOutcome
    occurred_at: datetime
    message_id: strawberry.ID | None = strawberry.field(description="The SMS the step queued, if any.")
    credit_amount: int = strawberry.field(description="Credit it granted, in minor units.")
    coupon_id: strawberry.ID | None = strawberry.field(description="The coupon it issued, if any.")
    note: str = strawberry.field(description="Why it was skipped, failed or exited; where a branch went.")

    @classmethod
    def from_model(cls, event: models.AutomationStepEvent) -> AutomationStepEvent:
        return cls(
            step_id=event.step_id,
            step_type=event.step_type,
            outcome=StepOutcome(event.outcome),
            occurred_at=event.occurred_at,
            message_id=strawberry.ID(str(event.message_id)) if event.message_id else None,
            credit_amount=event.credit_amount,
            coupon_id=strawberry.ID(str(event.coupon_id)) if event.coupon_id else None,
            note=event.note,
        )


@strawberry.type(description="One customer's enrolment in one journey, and how far it got.")
class AutomationRun:
    id: strawberry.ID
    automation_id: strawberry.ID
    automation_version: int = strawberry.field(description="The journey version the run follows.")
    customer_id: strawberry.ID
    order_id: strawberry.ID | None
    state: AutomationRunState
    current_step: int = strawberry.field(
        description="The next step's position (the number of steps when final)."
    )
    current_step_id: str | None = strawberry.field(description="The next step's id; null when final.")
    exit_reason: str | None = strawberry.field(
        description="Why an exited run stopped: goal, migrated, order_refunded, order_cancelled or "
        "order_failed."
    )
    due_at: datetime = strawberry.field(
        description="When its next step is due (a waiting run sleeps until then)."
    )
    facts: JSON = strawberry.field(
        description="What the trigger said: the lapse's last order, the expiring coupon…"
    )
    last_error: str | None
    notes: list[str] = strawberry.field(description="What the run skipped and why (no phone, opted out).")
    created_at: datetime
    finished_at: datetime | None
    tenant_id: strawberry.Private[UUID]
    pk: strawberry.Private[UUID]

    @strawberry.field(description="What each step did, in order.")
    async def step_events(self, info: Info) -> list[AutomationStepEvent]:
        rows = await info.context.loaders.automation_step_events.load((self.tenant_id, self.pk))
        return [AutomationStepEvent.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, run: models.AutomationRun) -> AutomationRun:
        order_id = run.order_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(run.id)),
            automation_id=strawberry.ID(str(run.automation_id)),  # type: ignore[attr-defined]
            automation_version=run.automation_version,
            customer_id=strawberry.ID(str(run.customer_id)),  # type: ignore[attr-defined]
            order_id=strawberry.ID(str(order_id)) if order_id else None,
            state=AutomationRunState(run.state),
            current_step=run.current_step,
            current_step_id=run.current_step_id,
            exit_reason=run.exit_reason,
            due_at=run.due_at,
            facts=JSON(run.context.get("facts") or {}),
            last_error=run.last_error,
            notes=[str(note) for note in run.context.get("notes", [])],
            created_at=run.created_at,
            finished_at=run.finished_at,
            tenant_id=run.tenant_id,  # type: ignore[attr-defined]
            pk=run.id,
        )


@strawberry.enum
class AutomationErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    TENANT_REQUIRED = "TENANT_REQUIRED"
    UNKNOWN_VARIABLE = "UNKNOWN_VARIABLE"
    INVALID_TEMPLATE = "INVALID_TEMPLATE"
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    TEMPLATE_ARCHIVED = "TEMPLATE_ARCHIVED"


@strawberry.type
class AutomationError:
    code: AutomationErrorCode
    field: str | None = strawberry.field(
        description="Path of the input at fault, e.g. definition.steps.1.template."
    )
    message: str


@strawberry.type
class AutomationPayload:
    automation: Automation | None = None
    errors: list[AutomationError] = strawberry.field(default_factory=list)


class DefinitionErrorsAsData(DomainErrorsAsData):
    """Errors as data, with every problem of an invalid definition as its own error: the code INVALID
    (or the template's own, such as UNKNOWN_VARIABLE) and the path in the definition JSON. Serves every
    mutation that takes a definition, each with its own payload, error type and codes."""

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        try:
            return await super().resolve_async(next_, source, info, **kwargs)
        except InvalidDefinition as exc:
            codes = self.codes.__members__
            return self.payload(
                errors=[
                    self.error(
                        code=codes.get(problem.code, codes["INVALID"]),
                        field=problem.field,
                        message=problem.message,
                    )
                    for problem in exc.problems
                ]
            )


def automation_errors() -> list[FieldExtension]:
    """Errors as data for the automation mutations; definition errors point into the definition JSON."""
    return [DefinitionErrorsAsData(AutomationPayload, AutomationError, AutomationErrorCode, "definition")]


WRITE = [Can("automations", "write")]
READ = [Can("automations", "read")]
