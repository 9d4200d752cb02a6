"""journeyStatistics: how one journey is doing, in all and step by step."""

from __future__ import annotations

import strawberry

from domain.automation import statistics
from domain.messaging import pricing
from graph.core.context import Info
from graph.core.ids import optional_uuid, to_uuid
from graph.core.permissions import Can
from graph.core.scalars import Money

READ = [Can("automations", "read")]


@strawberry.type(description="What the runs that reached one step of a journey did there, cost and brought.")
class JourneyStepStatistics:
    step_id: str = strawberry.field(description="The step's id in the definition (s1, s2, … by default).")
    type: str | None = strawberry.field(
        description="The step's type (wait, send_sms, …); null for a step of an earlier version only."
    )
    reached: int = strawberry.field(description="Runs that executed the step (each counted once).")
    done: int
    skipped: int = strawberry.field(description="Executed without effect: no phone, capped, opted out.")
    failed: int
    exited: int = strawberry.field(description="Runs that left the journey at this step (a goal was met).")
    waiting: int = strawberry.field(description="Runs asleep at this step now, until their due time.")
    messages: int = strawberry.field(description="SMS the step queued (sent or not).")
    messages_sent: int = strawberry.field(description="Of those, handed to the provider.")
    parts_sent: int
    cost: Money = strawberry.field(description="parts sent × the SMS part price, in rials.")
    credit_granted: Money
    coupons_issued: int
    coupons_redeemed: int = strawberry.field(
        description="Coupons the step issued that an order has redeemed."
    )
    attributed_orders: int = strawberry.field(
        description=(
            "Orders within the attribution window after this step's message, "
            "its message the last before them."
        )
    )
    revenue: Money = strawberry.field(description="Those orders' totals net of refunds.")

    @classmethod
    def from_domain(cls, step: statistics.StepStatistics) -> JourneyStepStatistics:
        return cls(
            step_id=step.step_id,
            type=step.type,
            reached=step.reached,
            done=step.done,
            skipped=step.skipped,
            failed=step.failed,
            exited=step.exited,
            waiting=step.waiting,
            messages=step.messages,
            messages_sent=step.messages_sent,
            parts_sent=step.parts_sent,
            cost=Money(step.cost),
            credit_granted=Money(step.credit_granted),
            coupons_issued=step.coupons_issued,
            coupons_redeemed=step.coupons_redeemed,
            attributed_orders=step.attributed_orders,
            revenue=Money(step.revenue),
        )


@strawberry.type(
    description=(
        "A journey's runs over all its versions, what its steps sent and granted, and the revenue of "
        "orders placed within its attribution window after one of its messages. Amounts are minor units "
        "of the store's currency; cost is in rials."
    )
)
class JourneyStatistics:
    journey_id: strawberry.ID
    attribution_days: int = strawberry.field(description="Orders this many days after a message count.")
    entered: int = strawberry.field(description="Runs ever enrolled.")
    active: int = strawberry.field(description="Runs not yet final (pending or waiting).")
    waiting: int = strawberry.field(description="Runs asleep until their next step is due.")
    completed: int
    exited_by_goal: int = strawberry.field(description="Runs that stopped because a goal was met.")
    exited_otherwise: int = strawberry.field(
        description="Runs stopped for another reason (their order refunded, cancelled or failed)."
    )
    failed: int
    messages: int
    messages_sent: int
    parts_sent: int
    cost: Money
    credit_granted: Money
    coupons_issued: int
    coupons_redeemed: int
    attributed_orders: int
    revenue: Money
    steps: list[JourneyStepStatistics] = strawberry.field(
        description="In the order of the current definition."
    )

    @classmethod
    def from_domain(cls, result: statistics.JourneyStatistics) -> JourneyStatistics:
        return cls(
            journey_id=strawberry.ID(str(result.automation_id)),
            attribution_days=result.attribution_days,
            entered=result.entered,
            active=result.active,
            waiting=result.waiting,
            completed=result.completed,
            exited_by_goal=result.exited_by_goal,
            exited_otherwise=result.exited_otherwise,
            failed=result.failed,
            messages=result.messages,
            messages_sent=result.messages_sent,
            parts_sent=result.parts_sent,
            cost=Money(result.cost),
            credit_granted=Money(result.credit_granted),
            coupons_issued=result.coupons_issued,
            coupons_redeemed=result.coupons_redeemed,
            attributed_orders=result.attributed_orders,
            revenue=Money(result.revenue),
            steps=[JourneyStepStatistics.from_domain(step) for step in result.steps],
        )


@strawberry.type
class JourneyStatisticsQuery:
    @strawberry.field(
        description="How one of the store's journeys (automations) is doing, in all and per step.",
        permission_classes=READ,
    )
    async def journey_statistics(
        self, info: Info, id: strawberry.ID, tenant_id: strawberry.ID | None = None
    ) -> JourneyStatistics:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        result = await statistics.journey_statistics(
            tenant_id=scope,
            automation_id=to_uuid(id, what="Automation"),
            part_price=await pricing.tenant_part_price(scope),
        )
        return JourneyStatistics.from_domain(result)
