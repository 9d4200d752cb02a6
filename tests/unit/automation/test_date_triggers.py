"""The daily date-trigger pass: win-back lapses, birthdays and anniversaries in the store's calendar and
timezone, expiring credit and coupons — each occasion enrolled once, only the store's own customers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import jdatetime

from domain.automation.date_triggers import run_pass
from domain.automation.models import Automation, AutomationRun
from domain.coupons.models import Coupon, CouponTemplate
from domain.incentives import ledger
from jobs.journey_dates import pass_due
from tests.support.journey_history import local, make_journey, make_person, make_store

WINBACK = {"trigger": {"type": "days_since_last_order", "min_days": 60, "max_days": 90}}
DAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


async def runs_of(automation: Automation) -> dict[str, str]:
    """customer external id → enrolment key of each run of the journey."""
    runs = await AutomationRun.filter(automation_id=automation.id).prefetch_related("customer")
    return {run.customer.external_id: run.enrolment_key for run in runs}


async def test_a_lapse_between_min_and_max_days_is_enrolled_once_keyed_by_its_day(db: None) -> None:
    """Last purchases 59, 60, 75, 90 and 91 local days ago: the middle three enter, keyed lapse:<day>,
    with the facts the engine re-checks; the same pass again enrols nobody."""
    # given
    tenant = await make_store()
    journey = await make_journey(tenant, WINBACK)
    people = {}
    for days in (59, 60, 75, 90, 91):
        lapse = DAY - timedelta(days=days)
        people[days] = await make_person(tenant, last_order_at=local(lapse, 23, tenant, 30))
    never = await make_person(tenant)
    # when
    first = await run_pass(tenant_id=tenant.id, day=DAY, now=NOW)
    second = await run_pass(tenant_id=tenant.id, day=DAY, now=NOW)
    # then
    enrolled = await runs_of(journey)
    assert enrolled == {
        people[days].external_id: f"lapse:{(DAY - timedelta(days=days)).isoformat()}" for days in (60, 75, 90)
    }
    assert never.external_id not in enrolled
    assert len(first.enrolled) == 3 and second.enrolled == [] and second.journeys[0].found == 0
    run = await AutomationRun.get(automation_id=journey.id, customer_id=people[75].id)
    facts = run.context["facts"]
    assert facts["trigger"] == "days_since_last_order"
    assert facts["days_since_last_order"] == 75
    assert datetime.fromisoformat(facts["last_order_at"]) == people[75].last_order_at


async def test_a_new_purchase_makes_a_new_lapse_that_enters_again(db: None) -> None:
    """After the first lapse's run is over, a later purchase and a new lapse enrol the customer again."""
    # given
    tenant = await make_store()
    journey = await make_journey(tenant, WINBACK)
    customer = await make_person(tenant, last_order_at=local(DAY - timedelta(days=70), 12, tenant))
    await run_pass(tenant_id=tenant.id, day=DAY, now=NOW)
    await AutomationRun.filter(automation_id=journey.id).update(state="completed", finished_at=NOW)
    later = DAY + timedelta(days=40)
    customer.last_order_at = local(later - timedelta(days=65), 12, tenant)
    await customer.save()
    # when
    result = await run_pass(tenant_id=tenant.id, day=later, now=NOW + timedelta(days=40))
    # then
    assert len(result.enrolled) == 1
    keys = sorted(
        await AutomationRun.filter(automation_id=journey.id).values_list("enrolment_key", flat=True)
    )
    assert keys == [
        f"lapse:{(DAY - timedelta(days=70)).isoformat()}",
        f"lapse:{(later - timedelta(days=65)).isoformat()}",
    ]


async def test_days_are_counted_in_the_stores_timezone_not_utcs(db: None) -> None:
    """At 05:00 UTC on 22 November it is still 21 November in Los Angeles: the pass runs for the 21st,
    and an order at 23:00 local on 22 September is that day's lapse (UTC says the 23rd)."""
    # given
    tenant = await make_store(locale="en", timezone="America/Los_Angeles", currency="USD")
    journey = await make_journey(
        tenant, {"trigger": {"type": "days_since_last_order", "min_days": 60, "max_days": 60}}
    )
    noon = await make_person(tenant, last_order_at=local(date(2026, 9, 22), 12, tenant))
    late = await make_person(tenant, last_order_at=local(date(2026, 9, 22), 23, tenant))
    utc_sixty = await make_person(tenant, last_order_at=datetime(2026, 9, 23, 12, tzinfo=UTC))
    now = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles on the 22nd
    early = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)  # 21:00 on the 21st there
    # when
    day = pass_due(now=early, timezone=tenant.timezone)
    assert day == date(2026, 11, 21)
    await run_pass(tenant_id=tenant.id, day=day, now=early)
    # then
    enrolled = await runs_of(journey)
    assert enrolled == {noon.external_id: "lapse:2026-09-22", late.external_id: "lapse:2026-09-22"}
    assert utc_sixty.external_id not in enrolled
    assert pass_due(now=now - timedelta(minutes=1), timezone=tenant.timezone) is None
    assert pass_due(now=now, timezone=tenant.timezone) == date(2026, 11, 22)


async def test_the_pass_is_not_due_before_nine_in_the_morning_local_time() -> None:
    """08:59 in Tehran is before the pass, 09:00 runs it; Kiritimati's day is already the 23rd."""
    # given
    tehran = "Asia/Tehran"  # UTC+03:30
    # when / then
    assert pass_due(now=datetime(2026, 11, 22, 5, 29, tzinfo=UTC), timezone=tehran) is None
    assert pass_due(now=datetime(2026, 11, 22, 5, 30, tzinfo=UTC), timezone=tehran) == date(2026, 11, 22)
    assert (
        pass_due(now=datetime(2026, 11, 22, 21, 0, tzinfo=UTC), timezone=tehran) is None
    )  # 00:30 on the 23rd
    assert pass_due(now=datetime(2026, 11, 22, 21, 0, tzinfo=UTC), timezone="Pacific/Kiritimati") == date(
        2026, 11, 23
    )


async def test_another_stores_customers_are_never_enrolled(db: None) -> None:
    """Two stores with lapsed customers, a win-back journey in one: only that store's customers enter,
    and the other store's pass (with no date journey) enrols nobody."""
    # given
    mine, theirs = await make_store(), await make_store()
    journey = await make_journey(mine, WINBACK)
    lapse = local(DAY - timedelta(days=70), 12, mine)
    own = await make_person(mine, last_order_at=lapse)
    await make_person(theirs, last_order_at=lapse)
    # when
    await run_pass(tenant_id=mine.id, day=DAY, now=NOW)
    other = await run_pass(tenant_id=theirs.id, day=DAY, now=NOW)
    # then
    assert await runs_of(journey) == {own.external_id: f"lapse:{(DAY - timedelta(days=70)).isoformat()}"}
    assert other.journeys == []
    assert await AutomationRun.filter(tenant_id=theirs.id).count() == 0


async def test_paused_and_event_journeys_are_not_run_by_the_pass(db: None) -> None:
    """Only active date journeys are passed over."""
    # given
    tenant = await make_store()
    await make_journey(tenant, WINBACK, active=False)
    await make_journey(tenant, {"trigger": {"type": "event", "event": "customer.created"}})
    await make_person(tenant, last_order_at=local(DAY - timedelta(days=70), 12, tenant))
    # when
    result = await run_pass(tenant_id=tenant.id, day=DAY, now=NOW)
    # then
    assert result.journeys == [] and await AutomationRun.all().count() == 0


def jalali(year: int, month: int, day: int) -> date:
    return jdatetime.date(year, month, day).togregorian()


async def test_esfand_30_birthdays_are_celebrated_on_esfand_29_in_a_common_year(db: None) -> None:
    """1404 has no Esfand 30: three days before Esfand 29 both Esfand 29 and 30 birthdays enter
    (key birthday:1404); in leap 1403 the Esfand 30 birthday waits for its own day."""
    # given
    tenant = await make_store()
    journey = await make_journey(tenant, {"trigger": {"type": "birthday", "days_before": 3}})
    twenty_ninth = await make_person(tenant, birth_month=12, birth_day=29)
    thirtieth = await make_person(tenant, birth_month=12, birth_day=30)
    await make_person(tenant, birth_month=12, birth_day=28)
    # when
    common = await run_pass(tenant_id=tenant.id, day=jalali(1404, 12, 29) - timedelta(days=3), now=NOW)
    # then
    assert len(common.enrolled) == 2
    assert await runs_of(journey) == {
        twenty_ninth.external_id: "birthday:1404",
        thirtieth.external_id: "birthday:1404",
    }
    run = await AutomationRun.get(automation_id=journey.id, customer_id=thirtieth.id)
    assert run.context["facts"]["date"] == jalali(1404, 12, 29).isoformat()
    # given (a leap year, for another journey)
    leap = await make_journey(tenant, {"trigger": {"type": "birthday", "days_before": 0}})
    # when
    on_29 = await run_pass(tenant_id=tenant.id, day=jalali(1403, 12, 29), now=NOW)
    on_30 = await run_pass(tenant_id=tenant.id, day=jalali(1403, 12, 30), now=NOW)
    # then
    assert [journey.found for journey in on_29.journeys if journey.automation_id == leap.id] == [1]
    assert [journey.found for journey in on_30.journeys if journey.automation_id == leap.id] == [1]
    assert (await runs_of(leap)) == {
        twenty_ninth.external_id: "birthday:1403",
        thirtieth.external_id: "birthday:1403",
    }


async def test_a_leap_day_birthday_is_celebrated_on_february_28_in_a_common_year(db: None) -> None:
    """A Gregorian store: 29 February birthdays enter on 28 February 2027, and on the 29th in 2028."""
    # given
    tenant = await make_store(locale="en", timezone="Europe/London", currency="GBP")
    journey = await make_journey(tenant, {"trigger": {"type": "birthday", "days_before": 0}})
    leapling = await make_person(tenant, birth_month=2, birth_day=29)
    # when
    in_2027 = await run_pass(tenant_id=tenant.id, day=date(2027, 2, 28), now=NOW)
    feb_28_2028 = await run_pass(tenant_id=tenant.id, day=date(2028, 2, 28), now=NOW)
    feb_29_2028 = await run_pass(tenant_id=tenant.id, day=date(2028, 2, 29), now=NOW)
    # then
    assert (len(in_2027.enrolled), feb_28_2028.journeys[0].found, len(feb_29_2028.enrolled)) == (1, 0, 0)
    assert await runs_of(journey) == {leapling.external_id: "birthday:2027"}
    # (2028's run is refused while 2027's is still open: one open run per customer and journey)
    assert feb_29_2028.journeys[0].found == 1


async def test_first_order_anniversaries_follow_the_stores_calendar(db: None) -> None:
    """A first order on 1403-12-30 (leap) has its first anniversary on 1404-12-29; one a year and a
    day later does not; a first order this year has no anniversary yet."""
    # given
    tenant = await make_store()
    journey = await make_journey(tenant, {"trigger": {"type": "first_order_anniversary", "days_before": 0}})
    leap_day = await make_person(tenant, first_order_at=local(jalali(1403, 12, 30), 22, tenant))
    two_years = await make_person(tenant, first_order_at=local(jalali(1402, 12, 29), 10, tenant))
    await make_person(tenant, first_order_at=local(jalali(1403, 12, 28), 10, tenant))
    await make_person(tenant, first_order_at=local(jalali(1404, 12, 29), 8, tenant))
    # when
    await run_pass(tenant_id=tenant.id, day=jalali(1404, 12, 29), now=NOW)
    # then
    assert await runs_of(journey) == {
        leap_day.external_id: "anniversary:1404",
        two_years.external_id: "anniversary:1404",
    }
    run = await AutomationRun.get(automation_id=journey.id, customer_id=two_years.id)
    assert run.context["facts"]["years"] == 2


async def test_credit_expiring_in_n_days_enrols_its_customers_with_the_amount(db: None) -> None:
    """Credit expiring on the local day three days ahead enters with its amount; credit expiring a
    day later, and another store's, do not."""
    # given
    tenant, other = await make_store(), await make_store()
    journey = await make_journey(tenant, {"trigger": {"type": "credit_expiring", "days_before": 3}})
    soon = await make_person(tenant)
    later = await make_person(tenant)
    stranger = await make_person(other)
    target = DAY + timedelta(days=3)
    for customer, store, expires in (
        (soon, tenant, local(target, 23, tenant, 59)),
        (later, tenant, local(target + timedelta(days=1), 0, tenant, 1)),
        (stranger, other, local(target, 12, other)),
    ):
        await ledger.grant(
            tenant_id=store.id,
            customer_id=customer.id,
            amount=40_000,
            kind=ledger.CREDIT,
            idempotency_key=f"gift:{customer.id}",
            available_at=NOW - timedelta(days=10),
            expires_at=expires,
            now=NOW - timedelta(days=10),
        )
    # when
    await run_pass(tenant_id=tenant.id, day=DAY, now=NOW)
    # then
    assert await runs_of(journey) == {soon.external_id: f"credit-expiry:{target.isoformat()}"}
    run = await AutomationRun.get(automation_id=journey.id)
    assert run.context["facts"]["amount"] == 40_000


async def test_coupons_expiring_in_n_days_that_are_neither_revoked_nor_used_up(db: None) -> None:
    """One run per live coupon expiring on the day; a revoked, a used-up and a shared coupon do not enter."""
    # given
    tenant = await make_store()
    journey = await make_journey(tenant, {"trigger": {"type": "coupon_expiring", "days_before": 2}})
    template = await CouponTemplate.create(
        tenant_id=tenant.id, name="15%", kind="percent", value=15, usage_limit=1
    )
    expires = local(DAY + timedelta(days=2), 18, tenant)
    live, revoked, used = [await make_person(tenant) for _ in range(3)]
    coupons = {}
    for customer, code in ((live, "LIVE2345"), (revoked, "GONE2345"), (used, "USED2345")):
        coupons[code] = await Coupon.create(
            tenant_id=tenant.id,
            template_id=template.id,
            code=code,
            customer_id=customer.id,
            issued_at=NOW - timedelta(days=5),
            expires_at=expires,
            revoked_at=NOW if code == "GONE2345" else None,
            redemptions_count=1 if code == "USED2345" else 0,
        )
    await Coupon.create(
        tenant_id=tenant.id, template_id=template.id, code="SHARED23", issued_at=NOW, expires_at=expires
    )
    # when
    first = await run_pass(tenant_id=tenant.id, day=DAY, now=NOW)
    again = await run_pass(tenant_id=tenant.id, day=DAY, now=NOW)
    # then
    assert await runs_of(journey) == {live.external_id: f"coupon-expiry:{coupons['LIVE2345'].id}"}
    assert (len(first.enrolled), len(again.enrolled)) == (1, 0)
    run = await AutomationRun.get(automation_id=journey.id)
    assert run.context["facts"]["code"] == "LIVE2345"


async def test_a_journey_that_no_longer_loads_does_not_stop_the_others(db: None) -> None:
    """A stored definition that fails to load is reported on its journey; the next journey still runs."""
    # given
    tenant = await make_store()
    broken = await make_journey(tenant, WINBACK, name="A broken one")
    await Automation.filter(id=broken.id).update(definition={"trigger": {"type": "days_since_last_order"}})
    working = await make_journey(tenant, WINBACK, name="B working")
    await make_person(tenant, last_order_at=local(DAY - timedelta(days=70), 12, tenant))
    # when
    result = await run_pass(tenant_id=tenant.id, day=DAY, now=NOW)
    # then
    outcome = {journey.automation_id: journey for journey in result.journeys}
    assert outcome[broken.id].error and outcome[broken.id].enrolled == []
    assert outcome[working.id].error is None and len(outcome[working.id].enrolled) == 1
