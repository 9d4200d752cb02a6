"""GraphQL types of the automation context: automations, their runs, and their errors."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.scalars import JSON

from domain.automation import models
from graph.core.errors import errors_as_data
from graph.core.permissions import Can


@strawberry.enum(description="Where an automation is in its life: only ACTIVE ones enrol customers.")
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


@strawberry.type(description="A trigger, conditions and ordered steps a store owner configured.")
class Automation:
    id: strawberry.ID
    name: str
    status: AutomationStatus
    trigger: str = strawberry.field(description="The event that enrols customers, e.g. order.completed.")
    version: int = strawberry.field(description="Goes up by one every time the definition changes.")
    definition: JSON = strawberry.field(
        description="The definition as JSON: {trigger, conditions: [...], steps: [...]}."
    )
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None = strawberry.field(description="When it was last activated.")

    @classmethod
    def from_model(cls, automation: models.Automation) -> Automation:
        return cls(
            id=strawberry.ID(str(automation.id)),
            name=automation.name,
            status=AutomationStatus(automation.status),
            trigger=automation.trigger,
            version=automation.version,
            definition=JSON(automation.definition),
            created_at=automation.created_at,
            updated_at=automation.updated_at,
            activated_at=automation.activated_at,
        )


@strawberry.type(description="One customer's enrolment in one automation, and how far it got.")
class AutomationRun:
    id: strawberry.ID
    automation_id: strawberry.ID
    automation_version: int = strawberry.field(description="The automation's version at enrolment.")
    customer_id: strawberry.ID
    order_id: strawberry.ID | None
    state: AutomationRunState
    current_step: int = strawberry.field(description="How many steps are done (the next step's index).")
    due_at: datetime
    last_error: str | None
    notes: list[str] = strawberry.field(description="What the run skipped and why (no phone, opted out).")
    created_at: datetime
    finished_at: datetime | None

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
            due_at=run.due_at,
            last_error=run.last_error,
            notes=[str(note) for note in run.context.get("notes", [])],
            created_at=run.created_at,
            finished_at=run.finished_at,
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


@strawberry.type
class AutomationError:
    code: AutomationErrorCode
    field: str | None = strawberry.field(description="Path of the input at fault, e.g. definition.steps.1.")
    message: str


@strawberry.type
class AutomationPayload:
    automation: Automation | None = None
    errors: list[AutomationError] = strawberry.field(default_factory=list)


def automation_errors() -> list[FieldExtension]:
    """Errors as data for the automation mutations; definition errors point into the definition JSON."""
    return errors_as_data(AutomationPayload, AutomationError, AutomationErrorCode, field_prefix="definition")


WRITE = [Can("automations", "write")]
