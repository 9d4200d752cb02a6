"""The dry run: a journey replayed over the store's real history — who would have entered, how far they
would have got, what they would have received and what it would have cost — writing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jdatetime
import pytest
from tortoise import Tortoise

from domain.automation.definition import JourneyDefinition
from domain.automation.dry_run import dry_run
from domain.coupons.models import CouponTemplate
from domain.errors import DomainError
from domain.segments.models import Segment
from tests.support.journey_history import make_person, make_purchase, make_store

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # 15:30 in Tehran
DAY = timedelta(days=1)

WINBACK: dict[str, Any] = {
    "trigger": {"type": "days_since_last_order", "min_days": 60, "max_days": 90},
    "steps": [
        {
            "id": "hello",
            "type": "send_sms",
            "template": "{first_name}، {days_since_last_order} روز گذشت.",
            "purpose": "marketing",
        },
        {"id": "pause", "type": "wait", "duration": {"days": 3}},
        {"id": "check", "type": "branch", "if": {"type": "ordered_since_enrolment"}, "then": "end"},
        {
            "id": "remind",
            "type": "send_sms",
            "template": "{first_name}، هنوز منتظریم.",
            "purpose": "marketing",
        },
    ],
}


def journey(raw: dict[str, Any], **changes: Any) -> JourneyDefinition:
    return JourneyDefinition.model_validate({**raw, **changes})


async def row_counts() -> dict[str, int]:
    connection = Tortoise.get_connection("default")
    counts = {}
    for model in Tortoise.apps["revisit"].values():
        table = model._meta.db_table
        [row] = await connection.execute_query_dict(f"SELECT count(*) AS n FROM {table}")
        counts[table] = int(row["n"])
    return counts


async def lapsed(tenant: Any, days_ago: int, **facts: Any) -> Any:
    """A customer whose one purchase was ``days_ago`` days before NOW (their last_order_at set to it)."""
    at = NOW - timedelta(days=days_ago)
    customer = await make_person(tenant, last_order_at=at, first_order_at=at, **facts)
    await make_purchase(tenant, customer, at=at)
    return customer


async def test_a_winback_journey_over_the_last_30_days(db: None) -> None:
    """Lapses that reach 60 days within the window enter (at the window's first pass, or the day they
    reach it); an order after the lapse ends the run by goal; the rest get both texts."""
    # given
    tenant = await make_store()
    old = await lapsed(tenant, 100, first_name="نرگس")  # 70 days at the window's start: its first pass
    recent = await lapsed(tenant, 65, first_name="علی")  # reaches 60 days five days ago
    await lapsed(tenant, 50)  # reaches 60 days only in ten days
    returned = await lapsed(tenant, 70)
    await make_purchase(tenant, returned, at=NOW - 9 * DAY)  # ordered again a day after entering
    await lapsed(tenant, 75, phone=None)  # no phone: the texts are skipped
    other = await make_store()
    await lapsed(other, 80)
    before = await row_counts()
    # when
    result = await dry_run(tenant_id=tenant.id, definition=journey(WINBACK), days=30, now=NOW)
    # then
    assert await row_counts() == before
    assert (result.triggered, result.entered) == (4, 4)
    steps = {step.step_id: step for step in result.steps}
    assert (steps["hello"].reached, steps["hello"].done, steps["hello"].skipped) == (4, 3, 1)
    assert steps["hello"].messages == 3
    assert steps["check"].exited == 1  # the returning customer: a goal before the branch
    assert (steps["remind"].reached, steps["remind"].messages, steps["remind"].skipped) == (3, 2, 1)
    assert (result.completed, result.exited_by_goal, result.waiting) == (3, 1, 0)
    assert result.messages == 5 and result.cost == result.parts * 1_500 and result.parts >= 5
    bodies = [sample.body for sample in result.samples]
    assert len(bodies) == 5
    assert bodies[0] == "نرگس، ۷۰ روز گذشت.\nلغو۱۱"  # 14 Aug 12:00 → 24 Oct 05:30 UTC, as the engine counts
    assert "علی، ۵۹ روز گذشت.\nلغو۱۱" in bodies
    assert all(body.endswith("لغو۱۱") for body in bodies)
    first_pass = datetime(2026, 10, 24, 5, 30, tzinfo=UTC)  # 09:00 in Tehran, the window's first pass
    assert [(s.customer_id, s.step_id, s.at) for s in result.samples[:2]] == [
        (old.id, "hello", first_pass),
        (old.id, "remind", first_pass + 3 * DAY),
    ]
    assert (recent.id, "hello", datetime(2026, 11, 17, 5, 30, tzinfo=UTC)) in {
        (s.customer_id, s.step_id, s.at) for s in result.samples
    }


async def test_a_run_still_waiting_at_the_end_of_the_window_is_counted_waiting(db: None) -> None:
    """A lapse that reached 60 days yesterday has had its first text; its three-day wait is not over."""
    # given
    tenant = await make_store()
    await lapsed(tenant, 61)
    # when
    result = await dry_run(tenant_id=tenant.id, definition=journey(WINBACK), days=7, now=NOW)
    # then
    steps = {step.step_id: step for step in result.steps}
    assert (result.entered, result.waiting, steps["pause"].waiting, steps["remind"].reached) == (1, 1, 1, 0)


async def test_order_journeys_grant_cashback_issue_coupons_and_leave_redemption_unknown(db: None) -> None:
    """Completed orders of 500,000 or more in the window enter; cashback is 10 % of each; every run
    issues a coupon whose redemption the history cannot know."""
    # given
    tenant = await make_store()
    template = await CouponTemplate.create(
        tenant_id=tenant.id, name="10%", kind="percent", value=10, valid_days=7
    )
    buyer, small, late = await make_person(tenant), await make_person(tenant), await make_person(tenant)
    await make_purchase(tenant, buyer, at=NOW - 3 * DAY, total=600_000, shipping_total=100_000)
    await make_purchase(tenant, small, at=NOW - 2 * DAY, total=400_000)
    await make_purchase(tenant, late, at=NOW - 20 * DAY, total=900_000)
    raw = {
        "trigger": {"type": "event", "event": "order.completed"},
        "conditions": [{"type": "order_total", "op": "gte", "amount": 500_000}],
        "steps": [
            {"type": "grant_cashback", "percent": "10"},
            {"type": "issue_coupon", "template_id": str(template.id)},
            {"type": "branch", "if": {"type": "redeemed_coupon"}, "then": "end"},
            {"type": "send_sms", "template": "{coupon_code}: {coupon_value} تا {coupon_expiry}"},
        ],
    }
    # when
    result = await dry_run(tenant_id=tenant.id, definition=journey(raw), days=14, now=NOW)
    # then
    assert (result.triggered, result.entered, result.left_out["conditions"]) == (2, 1, 1)
    assert (result.credit, result.coupons) == (50_000, 1)
    steps = {step.step_id: step for step in result.steps}
    assert steps["s3"].unknown == 1 and steps["s4"].messages == 1
    [sample] = result.samples
    assert "۱۰٪" in sample.body and len(sample.body.split(":")[0]) == 8


async def test_entry_rules_cap_and_open_runs_are_applied_in_time_order(db: None) -> None:
    """once_ever: a second order does not enter again; a cap of 2 leaves out the third customer;
    a 30-day wait keeps a once-per-order run open, so the customer's next order is not enrolled."""
    # given
    tenant = await make_store()
    people = [await make_person(tenant) for _ in range(3)]
    for index, person in enumerate(people):
        await make_purchase(tenant, person, at=NOW - (10 - index) * DAY)
    await make_purchase(tenant, people[0], at=NOW - 2 * DAY)
    sms = {"type": "send_sms", "template": "ممنون {first_name}"}
    trigger = {"type": "event", "event": "order.completed"}
    # when
    once = await dry_run(
        tenant_id=tenant.id,
        definition=journey({"trigger": trigger, "entry": {"mode": "once_ever", "cap": 2}, "steps": [sms]}),
        days=30,
        now=NOW,
    )
    waiting = await dry_run(
        tenant_id=tenant.id,
        definition=journey({"trigger": trigger, "steps": [{"type": "wait", "duration": {"days": 30}}, sms]}),
        days=30,
        now=NOW,
    )
    # then
    assert (once.triggered, once.entered) == (4, 2)
    assert (once.left_out["entry_rule"], once.left_out["cap"]) == (1, 1)
    assert (waiting.entered, waiting.left_out["already_in_journey"], waiting.waiting) == (3, 1, 3)


async def test_a_birthday_journey_in_the_jalali_calendar(db: None) -> None:
    """Birthdays celebrated in the last ten days enter on their day's pass; later ones do not."""
    # given
    tenant = await make_store()
    five_ago = jdatetime.date.fromgregorian(date=(NOW - 5 * DAY).date())
    in_five = jdatetime.date.fromgregorian(date=(NOW + 5 * DAY).date())
    celebrated = await make_person(tenant, birth_month=five_ago.month, birth_day=five_ago.day)
    await make_person(tenant, birth_month=in_five.month, birth_day=in_five.day)
    raw = {
        "trigger": {"type": "birthday", "days_before": 0},
        "steps": [{"type": "grant_credit", "amount": 20_000}],
    }
    # when
    result = await dry_run(tenant_id=tenant.id, definition=journey(raw), days=10, now=NOW)
    # then
    assert (result.entered, result.credit) == (1, 20_000)
    assert result.samples == [] and result.steps[0].reached == 1
    assert celebrated.birth_month == five_ago.month


@pytest.mark.parametrize("days", [0, -1, 91, 10_000])
async def test_days_outside_1_to_90_are_refused(db: None, days: int) -> None:
    """A dry run looks back 1 to 90 days; anything else is INVALID on days."""
    # given
    tenant = await make_store()
    # when
    with pytest.raises(DomainError) as raised:
        await dry_run(tenant_id=tenant.id, definition=journey(WINBACK), days=days, now=NOW)
    # then
    assert (raised.value.code, raised.value.field) == ("INVALID", "days")


async def test_another_stores_segment_or_coupon_template_is_not_found(db: None) -> None:
    """A definition naming another store's segment or template answers NOT_FOUND and reads nothing of it."""
    # given
    mine, theirs = await make_store(), await make_store()
    segment = await Segment.create(tenant_id=theirs.id, name="VIP", kind="static")
    template = await CouponTemplate.create(tenant_id=theirs.id, name="x", kind="percent", value=5)
    by_segment = journey(WINBACK, conditions=[{"type": "in_segment", "segment_id": str(segment.id)}])
    by_template = journey(
        {
            "trigger": {"type": "birthday", "days_before": 0},
            "steps": [{"type": "issue_coupon", "template_id": str(template.id)}],
        }
    )
    # when / then
    for definition in (by_segment, by_template):
        with pytest.raises(DomainError) as raised:
            await dry_run(tenant_id=mine.id, definition=definition, days=30, now=NOW)
        assert raised.value.code == "NOT_FOUND"
