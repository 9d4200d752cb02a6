"""dryRunJourney: what a journey would have done over the store's last N days, writing nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from domain.automation import service as automations
from domain.automation.dry_run import MAX_DAYS, MIN_DAYS, DryRun, dry_run
from domain.automation.dry_run_walk import Sample, StepTally
from domain.errors import DomainError
from graph.automation.types import WRITE, DefinitionErrorsAsData
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.core.scalars import Money


@strawberry.type(description="What the would-be runs did at one step of the journey.")
class JourneyDryRunStep:
    step_id: str
    type: str
    reached: int = strawberry.field(description="Runs that would have reached the step within the window.")
    done: int
    skipped: int = strawberry.field(
        description="Reached without effect: no phone, no consent, nothing to grant."
    )
    failed: int
    exited: int = strawberry.field(description="Runs a goal would have ended just before this step.")
    waiting: int = strawberry.field(description="Runs that would still be waiting here at the window's end.")
    unknown: int = strawberry.field(
        description=(
            "Checks the history cannot answer (a coupon the journey never really issued): taken as not yet."
        )
    )
    messages: int
    parts: int
    cost: Money = strawberry.field(description="In rials (the SMS part price).")
    credit: Money
    coupons: int

    @classmethod
    def from_domain(cls, tally: StepTally) -> JourneyDryRunStep:
        return cls(
            step_id=tally.step_id,
            type=tally.type,
            reached=tally.reached,
            done=tally.done,
            skipped=tally.skipped,
            failed=tally.failed,
            exited=tally.exited,
            waiting=tally.waiting,
            unknown=tally.unknown,
            messages=tally.messages,
            parts=tally.parts,
            cost=Money(tally.cost),
            credit=Money(tally.credit),
            coupons=tally.coupons,
        )


@strawberry.type(description="One text a would-be run would have sent, as the customer would read it.")
class JourneyDryRunSample:
    customer_id: strawberry.ID
    step_id: str
    at: datetime = strawberry.field(description="When it would have been sent (before quiet hours and caps).")
    body: str = strawberry.field(description="The rendered text, with the opt-out footer for marketing.")
    encoding: str
    parts: int
    cost: Money

    @classmethod
    def from_domain(cls, sample: Sample) -> JourneyDryRunSample:
        return cls(
            customer_id=strawberry.ID(str(sample.customer_id)),
            step_id=sample.step_id,
            at=sample.at,
            body=sample.body,
            encoding=sample.encoding,
            parts=sample.parts,
            cost=Money(sample.cost),
        )


@strawberry.type(description="Why times the trigger fired did not enrol anyone.")
class JourneyDryRunLeftOut:
    conditions: int = strawberry.field(description="The customer did not meet the conditions then.")
    repeat: int = strawberry.field(
        description="The same occasion again (one run per order, lapse, birthday year)."
    )
    already_in_journey: int = strawberry.field(description="The customer's earlier run was still open.")
    entry_rule: int = strawberry.field(description="The entry rule (once ever, once per N days) said no.")
    cap: int = strawberry.field(description="The journey's cap was reached.")


@strawberry.type(
    description=(
        "What the journey would have done had it been active over the window: who would have entered, "
        "how far they would have got, what they would have received and what it would have cost. "
        "Money in minor units of the store's currency; SMS cost in rials."
    )
)
class JourneyDryRun:
    days: int
    start: datetime
    end: datetime
    triggered: int = strawberry.field(
        description="Times the trigger fired, before conditions and entry rules."
    )
    entered: int
    left_out: JourneyDryRunLeftOut
    completed: int
    exited_by_goal: int
    failed: int
    waiting: int = strawberry.field(description="Runs that would still be open at the window's end.")
    messages: int
    parts: int
    cost: Money
    credit: Money
    coupons: int
    steps: list[JourneyDryRunStep]
    samples: list[JourneyDryRunSample] = strawberry.field(description="At most five rendered texts.")
    notes: list[str] = strawberry.field(description="What the history could only approximate.")

    @classmethod
    def from_domain(cls, result: DryRun) -> JourneyDryRun:
        return cls(
            days=result.days,
            start=result.start,
            end=result.end,
            triggered=result.triggered,
            entered=result.entered,
            left_out=JourneyDryRunLeftOut(**result.left_out),
            completed=result.completed,
            exited_by_goal=result.exited_by_goal,
            failed=result.failed,
            waiting=result.waiting,
            messages=result.messages,
            parts=result.parts,
            cost=Money(result.cost),
            credit=Money(result.credit),
            coupons=result.coupons,
            steps=[JourneyDryRunStep.from_domain(step) for step in result.steps],
            samples=[JourneyDryRunSample.from_domain(sample) for sample in result.samples],
            notes=result.notes,
        )


@strawberry.enum
class DryRunJourneyErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    TENANT_REQUIRED = "TENANT_REQUIRED"
    UNKNOWN_VARIABLE = "UNKNOWN_VARIABLE"
    INVALID_TEMPLATE = "INVALID_TEMPLATE"
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    TEMPLATE_ARCHIVED = "TEMPLATE_ARCHIVED"


@strawberry.type
class DryRunJourneyError:
    code: DryRunJourneyErrorCode
    field: str | None = strawberry.field(
        description="The input at fault: days, journeyId or a definition path."
    )
    message: str


@strawberry.type
class DryRunJourneyPayload:
    dry_run: JourneyDryRun | None = None
    errors: list[DryRunJourneyError] = strawberry.field(default_factory=list)


@strawberry.type
class DryRunJourneyMutation:
    @strawberry.mutation(
        description=(
            f"Replay a journey (a saved one by journeyId, or a definition not saved yet) over the store's "
            f"last `days` days ({MIN_DAYS}–{MAX_DAYS}) of real history and answer what it would have done. "
            "Writes nothing: the same request again answers the same."
        ),
        permission_classes=WRITE,
        extensions=[DefinitionErrorsAsData(DryRunJourneyPayload, DryRunJourneyError, DryRunJourneyErrorCode)],
    )
    async def dry_run_journey(
        self,
        info: Info,
        days: int,
        journey_id: strawberry.ID | None = None,
        definition: JSON | None = None,
        tenant_id: strawberry.ID | None = None,
    ) -> DryRunJourneyPayload:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        if (journey_id is None) == (definition is None):
            raise DomainError("INVALID", "Give either journeyId or definition.", field="definition")
        raw: object = definition
        if journey_id is not None:
            journey = await automations.get(
                tenant_id=scope, automation_id=to_uuid(journey_id, what="Automation", field="journeyId")
            )
            raw = journey.definition
        parsed = await automations.validated(tenant_id=scope, raw=raw)
        result = await dry_run(tenant_id=scope, definition=parsed, days=days, now=datetime.now(UTC))
        return DryRunJourneyPayload(dry_run=JourneyDryRun.from_domain(result))
