"""journeyStatistics: a journey's runs by state, each step's outcomes, messages and their cost, credit,
coupons issued and redeemed, and the revenue of orders within the attribution window after a message —
counted from the rows the engine writes, only the store's own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.automation import poller
from domain.automation.date_triggers import run_pass
from domain.automation.models import Automation, AutomationRun, AutomationStepEvent
from domain.coupons.models import Coupon, CouponRedemption, CouponTemplate
from domain.customers.models import Customer
from domain.messaging.models import OutboundMessage
from domain.tenancy.models import Tenant
from tests.support.api import ApiClient
from tests.support.factories import make_owner
from tests.support.journey_history import local, make_journey, make_person, make_purchase

STEP_FIELDS = (
    "stepId type reached done skipped failed exited waiting messages messagesSent partsSent cost "
    "creditGranted couponsIssued couponsRedeemed attributedOrders revenue"
)
STATISTICS = f"""
query Statistics($id: ID!) {{
  journeyStatistics(id: $id) {{
    journeyId attributionDays entered active waiting completed exitedByGoal exitedOtherwise failed
    messages messagesSent partsSent cost creditGranted couponsIssued couponsRedeemed attributedOrders revenue
    steps {{ {STEP_FIELDS} }}
  }}
}}
"""
T = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
PART_PRICE = 1_500  # the test settings' REVISIT_SMS_PART_PRICE (the default)


def winback(template_id: str) -> dict[str, Any]:
    return {
        "trigger": {"type": "days_since_last_order", "min_days": 60, "max_days": 90},
        "attribution_days": 7,
        "steps": [
            {"id": "hello", "type": "send_sms", "template": "{first_name}، سلام", "purpose": "marketing"},
            {"id": "pause", "type": "wait", "duration": {"days": 3}},
            {"id": "gift", "type": "grant_credit", "amount": 50_000, "expires_after_days": 14},
            {"id": "code", "type": "issue_coupon", "template_id": template_id},
            {"id": "remind", "type": "send_sms", "template": "یادآوری", "purpose": "marketing"},
        ],
    }


class Journey:
    """A journey with runs in every state and the step events, messages and coupons they left."""

    def __init__(self, tenant: Tenant, automation: Automation, template: CouponTemplate) -> None:
        self.tenant, self.automation, self.template = tenant, automation, template
        self.customers: list[Customer] = []

    async def run(
        self, state: str, *, exit_reason: str | None = None, at: str | None = None
    ) -> AutomationRun:
        customer = await make_person(self.tenant)
        self.customers.append(customer)
        return await AutomationRun.create(
            tenant_id=self.tenant.id,
            automation_id=self.automation.id,
            automation_version=1,
            customer_id=customer.id,
            enrolment_key=f"lapse:{len(self.customers)}",
            state=state,
            current_step_id=at,
            exit_reason=exit_reason,
            due_at=T,
            context={},
        )

    async def event(self, run: AutomationRun, step_id: str, outcome: str, **what: Any) -> None:
        await AutomationStepEvent.create(
            tenant_id=self.tenant.id,
            automation_id=self.automation.id,
            run_id=run.id,
            step_id=step_id,
            outcome=outcome,
            occurred_at=T,
            **what,
        )

    async def message(self, run: AutomationRun, status: str, parts: int) -> OutboundMessage:
        return await OutboundMessage.create(
            tenant_id=self.tenant.id,
            customer_id=run.customer_id,  # type: ignore[attr-defined]
            origin_key=f"run:{run.id}:{status}:{parts}",
            purpose="marketing",
            phone="+989350000000",
            body="x",
            encoding="UCS-2",
            parts=parts,
            status=status,
            sent_at=T if status == "sent" else None,
        )

    async def coupon(self, run: AutomationRun, code: str) -> Coupon:
        return await Coupon.create(
            tenant_id=self.tenant.id,
            template_id=self.template.id,
            code=code,
            customer_id=run.customer_id,  # type: ignore[attr-defined]
            issued_at=T,
            expires_at=T + timedelta(days=7),
        )


async def journey_with_history(tenant: Tenant) -> Journey:
    """Five runs: completed, waiting, exited by goal, failed, exited as its order was reversed."""
    template = await CouponTemplate.create(
        tenant_id=tenant.id, name="15%", kind="percent", value=15, valid_days=7
    )
    journey = Journey(tenant, await make_journey(tenant, winback(str(template.id))), template)
    done = await journey.run("completed")
    waiting = await journey.run("waiting", at="gift")  # asleep in "pause", to wake up to "gift"
    goal = await journey.run("exited", exit_reason="goal")
    failed = await journey.run("failed")
    await journey.run("exited", exit_reason="order_reversed")

    hello_done, hello_waiting = (
        await journey.message(done, "sent", 2),
        await journey.message(waiting, "sent", 1),
    )
    await journey.event(done, "hello", "done", message_id=hello_done.id)
    await journey.event(waiting, "hello", "done", message_id=hello_waiting.id)
    await journey.event(goal, "hello", "skipped")
    await journey.event(failed, "hello", "failed")
    for run in (done, goal):
        await journey.event(run, "pause", "done")
        await journey.event(run, "gift", "done", credit_amount=50_000)
    await journey.event(waiting, "pause", "waiting")
    redeemed, returned = await journey.coupon(done, "DONE2345"), await journey.coupon(goal, "GOAL2345")
    await journey.event(done, "code", "done", coupon_id=redeemed.id)
    await journey.event(goal, "code", "done", coupon_id=returned.id)
    await journey.event(done, "remind", "skipped", message_id=(await journey.message(done, "skipped", 1)).id)
    await journey.event(goal, "remind", "exited")

    first, second = journey.customers[0], journey.customers[1]
    paid = await make_purchase(tenant, first, at=T + timedelta(days=2), total=500_000, refunded_total=100_000)
    await make_purchase(tenant, first, at=T + timedelta(days=10), total=900_000)  # after the window
    await make_purchase(tenant, first, at=T + timedelta(days=3), total=800_000, status="cancelled")
    await make_purchase(tenant, second, at=T - timedelta(hours=1), total=700_000)  # before the message
    await make_purchase(tenant, second, at=T + timedelta(days=7), total=300_000)  # the window's last moment
    await make_purchase(tenant, await make_person(tenant), at=T + timedelta(days=1), total=1_000_000)
    for coupon, state in ((redeemed, "redeemed"), (returned, "returned")):
        await CouponRedemption.create(
            tenant_id=tenant.id,
            coupon_id=coupon.id,
            order_id=paid.id,
            customer_id=first.id,
            state=state,
            redeemed_at=T + timedelta(days=2),
        )
    return journey


async def test_a_journeys_runs_steps_messages_credit_coupons_and_revenue(client: ApiClient) -> None:
    """Every figure of a journey with five runs, from the rows its runs left."""
    # given
    owner = await make_owner()
    journey = await journey_with_history(owner.tenant)
    # when
    result = await client.graphql(STATISTICS, {"id": str(journey.automation.id)}, token=owner.token)
    # then
    stats = result.ok()["journeyStatistics"]
    steps = {step.pop("stepId"): step for step in stats.pop("steps")}
    assert stats == {
        "journeyId": str(journey.automation.id),
        "attributionDays": 7,
        "entered": 5,
        "active": 1,
        "waiting": 1,
        "completed": 1,
        "exitedByGoal": 1,
        "exitedOtherwise": 1,
        "failed": 1,
        "messages": 3,
        "messagesSent": 2,
        "partsSent": 3,
        "cost": 3 * PART_PRICE,
        "creditGranted": 100_000,
        "couponsIssued": 2,
        "couponsRedeemed": 1,
        "attributedOrders": 2,
        "revenue": 400_000 + 300_000,
    }
    assert list(steps) == ["hello", "pause", "gift", "code", "remind"]
    nothing = dict.fromkeys(STEP_FIELDS.split()[2:], 0)
    assert steps["hello"] == {
        **nothing,
        "type": "send_sms",
        "reached": 4,
        "done": 2,
        "skipped": 1,
        "failed": 1,
        "messages": 2,
        "messagesSent": 2,
        "partsSent": 3,
        "cost": 3 * PART_PRICE,
        "attributedOrders": 2,
        "revenue": 700_000,
    }
    assert steps["pause"] == {**nothing, "type": "wait", "reached": 3, "done": 2, "waiting": 1}
    assert steps["gift"] == {
        **nothing,
        "type": "grant_credit",
        "reached": 2,
        "done": 2,
        "creditGranted": 100_000,
    }
    assert steps["code"] == {
        **nothing,
        "type": "issue_coupon",
        "reached": 2,
        "done": 2,
        "couponsIssued": 2,
        "couponsRedeemed": 1,
    }
    assert steps["remind"] == {
        **nothing,
        "type": "send_sms",
        "reached": 2,
        "skipped": 1,
        "exited": 1,
        "messages": 1,
    }


async def test_a_journey_nobody_entered_has_every_step_at_zero(client: ApiClient) -> None:
    """A new journey answers zeros for itself and each of its steps, not an error."""
    # given
    owner = await make_owner()
    automation = await make_journey(owner.tenant, {"trigger": {"type": "birthday", "days_before": 0}})
    # when
    stats = (await client.graphql(STATISTICS, {"id": str(automation.id)}, token=owner.token)).ok()[
        "journeyStatistics"
    ]
    # then
    assert (stats["entered"], stats["revenue"], stats["cost"]) == (0, 0, 0)
    assert [(step["stepId"], step["reached"]) for step in stats["steps"]] == [("s1", 0)]


async def test_another_stores_journey_is_not_found_and_its_rows_never_counted(client: ApiClient) -> None:
    """Store B asking for A's journey gets NOT_FOUND; B's own journey counts none of A's runs."""
    # given
    owner_a, owner_b = await make_owner(), await make_owner()
    journey_a = await journey_with_history(owner_a.tenant)
    journey_b = await make_journey(owner_b.tenant, {"trigger": {"type": "birthday", "days_before": 0}})
    # when
    theirs = await client.graphql(STATISTICS, {"id": str(journey_a.automation.id)}, token=owner_b.token)
    own = await client.graphql(STATISTICS, {"id": str(journey_b.id)}, token=owner_b.token)
    # then
    assert theirs.error_codes() == ["NOT_FOUND"]
    assert own.ok()["journeyStatistics"]["entered"] == 0


async def test_ids_that_are_not_journeys_are_answered_as_errors(client: ApiClient) -> None:
    """An unknown UUID is NOT_FOUND; text that is not an id (empty, 10,000 characters, a NUL) is refused."""
    # given
    owner = await make_owner()
    # when
    unknown = await client.graphql(
        STATISTICS, {"id": "00000000-0000-4000-8000-000000000000"}, token=owner.token
    )
    bad = [
        await client.graphql(STATISTICS, {"id": text}, token=owner.token)
        for text in ("", "x" * 10_000, "a\x00b")
    ]
    # then
    assert unknown.error_codes() == ["NOT_FOUND"]
    for result in bad:
        assert result.error_codes() and result.error_codes() != [None]


async def test_statistics_of_a_win_back_journey_the_engine_ran(client: ApiClient) -> None:
    """The date pass enrols two lapsed customers, the engine texts them, waits and grants credit; the
    statistics count what the engine's runs wrote, step by step."""
    # given
    owner = await make_owner()
    tenant = owner.tenant
    template = await CouponTemplate.create(
        tenant_id=tenant.id, name="10%", kind="percent", value=10, valid_days=7
    )
    journey = await make_journey(tenant, winback(str(template.id)))
    day = date(2026, 11, 22)
    now = local(day, 10, tenant)  # after the quiet hours
    for days in (70, 80):
        await make_person(tenant, last_order_at=local(day - timedelta(days=days), 12, tenant))
    await run_pass(tenant_id=tenant.id, day=day, now=now)
    # when
    await poller.drain(tenant_id=tenant.id, now=now)
    asleep = (await client.graphql(STATISTICS, {"id": str(journey.id)}, token=owner.token)).ok()
    await poller.drain(tenant_id=tenant.id, now=now + timedelta(days=3, minutes=1))
    done = (await client.graphql(STATISTICS, {"id": str(journey.id)}, token=owner.token)).ok()
    # then
    first = asleep["journeyStatistics"]
    steps = {step["stepId"]: step for step in first["steps"]}
    assert (first["entered"], first["active"], first["waiting"], first["messages"]) == (2, 2, 2, 2)
    assert (steps["hello"]["reached"], steps["hello"]["done"], steps["pause"]["waiting"]) == (2, 2, 2)
    later = done["journeyStatistics"]
    steps = {step["stepId"]: step for step in later["steps"]}
    assert (later["completed"], later["waiting"], later["creditGranted"], later["couponsIssued"]) == (
        2,
        0,
        100_000,
        2,
    )
    assert (steps["gift"]["done"], steps["code"]["couponsIssued"], steps["remind"]["messages"]) == (2, 2, 2)
    assert later["messages"] == 4 and later["messagesSent"] == 0  # queued; no provider has sent them yet
