"""Tariffs by effective date (never re-pricing the past), plans charged from the wallet once per period,
renewal at the period's end once, a lapse when it cannot be paid, and the projected cost of journeys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.automation.models import AutomationRun, AutomationStepEvent
from domain.billing import plans, projection, tariffs, wallet
from domain.billing.errors import InsufficientFunds
from domain.billing.models import PlanPeriod, WalletEntry
from domain.customers.models import Customer
from domain.errors import DomainError
from domain.messaging.models import OutboundMessage
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from tests.support.journeys import enrol_customers, make_journey

OWNER = "+989121110000"
JOURNEY = {
    "trigger": {"type": "event", "event": "customer.created"},
    "steps": [{"type": "add_tag", "tag": "seen"}],
}


async def store(name: str = "Ketab") -> Tenant:
    tenant = await tenancy.create_tenant(tenant_in=tenancy.TenantIn(name=name, currency="IRR"))
    tenant.owner_phone = OWNER
    await tenant.save()
    return tenant


async def test_until_an_admin_sets_one_the_tariff_comes_from_the_settings(db: None) -> None:
    """1,500 per part, 500 per run, 50,000,000 a year, from the settings."""
    # given
    tenant = await store()
    # when
    tariff = await tariffs.tenant_tariff(tenant.id)
    # then
    assert (tariff.sms_part_price, tariff.journey_run_price, tariff.annual_fee, tariff.source) == (
        1_500,
        500,
        50_000_000,
        "settings",
    )


async def test_a_tariff_applies_from_its_moment_and_never_to_the_past(db: None) -> None:
    """A platform row effective in an hour leaves now's price alone; a past moment is refused; a store
    override wins for the prices it names and falls back to the platform's for the rest."""
    # given
    tenant = await store()
    now = datetime.now(UTC)
    later = now + timedelta(hours=1)
    # when
    await tariffs.set_platform_tariff(
        annual_fee=1, journey_run_price=700, sms_part_price=1_800, effective_from=later
    )
    with pytest.raises(DomainError) as refused:
        await tariffs.set_platform_tariff(
            annual_fee=1, journey_run_price=1, sms_part_price=1, effective_from=now - timedelta(days=1)
        )
    await tariffs.set_tenant_tariff(
        tenant_id=tenant.id,
        annual_fee=None,
        journey_run_price=None,
        sms_part_price=1_200,
        effective_from=later,
    )
    # then
    assert refused.value.code == "PAST_EFFECTIVE_FROM"
    assert (await tariffs.tenant_tariff(tenant.id, at=now)).sms_part_price == 1_500
    in_an_hour = await tariffs.tenant_tariff(tenant.id, at=later)
    assert (in_an_hour.sms_part_price, in_an_hour.journey_run_price, in_an_hour.source) == (
        1_200,
        700,
        "store",
    )
    assert (await tariffs.platform_tariff(at=later)).sms_part_price == 1_800


async def test_a_tariff_in_effect_cannot_be_changed_but_a_repeat_is_accepted(db: None) -> None:
    """The same prices at the same moment return the row; other prices at a moment already in effect
    are TARIFF_IN_EFFECT; a future row may still be replaced."""
    # given
    now = datetime.now(UTC)
    first = await tariffs.set_platform_tariff(annual_fee=1, journey_run_price=2, sms_part_price=3, now=now)
    # when
    repeat = await tariffs.set_platform_tariff(
        annual_fee=1,
        journey_run_price=2,
        sms_part_price=3,
        effective_from=now,
        now=now + timedelta(seconds=5),
    )
    with pytest.raises(DomainError) as refused:
        await tariffs.set_platform_tariff(
            annual_fee=1,
            journey_run_price=2,
            sms_part_price=4,
            effective_from=now,
            now=now + timedelta(seconds=5),
        )
    future = now + timedelta(days=1)
    await tariffs.set_platform_tariff(
        annual_fee=1, journey_run_price=2, sms_part_price=5, effective_from=future
    )
    replaced = await tariffs.set_platform_tariff(
        annual_fee=1, journey_run_price=2, sms_part_price=6, effective_from=future
    )
    # then
    assert repeat.id == first.id
    assert refused.value.code == "TARIFF_IN_EFFECT"
    assert replaced.sms_part_price == 6


async def test_per_provider_part_prices(db: None) -> None:
    """A provider priced apart pays its own part price; the others the flat one."""
    # given
    await tariffs.set_platform_tariff(
        annual_fee=1, journey_run_price=2, sms_part_price=1_500, provider_part_prices={"smsir": 1_100}
    )
    # when
    tariff = await tariffs.platform_tariff()
    # then
    assert (tariff.part_price("smsir"), tariff.part_price("kavenegar"), tariff.part_price()) == (
        1_100,
        1_500,
        1_500,
    )


async def test_subscribing_to_the_annual_plan_charges_the_fee_once_per_period(db: None) -> None:
    """The fee in effect is charged once (repeats, a second key) and a year's period starts."""
    # given
    tenant = await store()
    await tariffs.set_tenant_tariff(
        tenant_id=tenant.id, annual_fee=100_000, journey_run_price=None, sms_part_price=None
    )
    await wallet.top_up(tenant.id, amount=250_000, key="t", reference="test")
    now = datetime.now(UTC)
    # when
    state = await plans.subscribe(tenant_id=tenant.id, plan="annual", client_key="k1", now=now)
    await plans.subscribe(tenant_id=tenant.id, plan="annual", client_key="k1", now=now)
    await plans.subscribe(tenant_id=tenant.id, plan="annual", client_key="k2", now=now)
    # then
    assert state.plan == "annual" and state.renews
    assert state.period_ends_at == plans.year_after(now)
    assert (await wallet.balance(tenant.id)).balance == 150_000
    [charge] = await WalletEntry.filter(tenant_id=tenant.id, charge_kind="subscription")
    assert (charge.amount, charge.unit_price) == (100_000, 100_000)


async def test_the_annual_plan_without_funds_changes_nothing(db: None) -> None:
    """InsufficientFunds; the store stays on pay as you go with no period."""
    # given
    tenant = await store()
    # when
    with pytest.raises(InsufficientFunds):
        await plans.subscribe(tenant_id=tenant.id, plan="annual", client_key="k1")
    # then
    assert (await plans.plan_state(tenant.id)).plan == "pay_as_you_go"
    assert not await PlanPeriod.filter(tenant_id=tenant.id).exists()


async def test_renewal_at_the_period_end_is_charged_once_and_starts_where_the_last_ended(db: None) -> None:
    """Renewing twice after the end charges one more fee; the new period follows the old one."""
    # given
    tenant = await store()
    await wallet.top_up(tenant.id, amount=125_000_000, key="t", reference="test")  # fee: 50,000,000
    start = datetime.now(UTC) - timedelta(days=366)
    await plans.subscribe(tenant_id=tenant.id, plan="annual", client_key="k1", now=start)
    now = datetime.now(UTC)
    # when
    due = await plans.renewals_due(now=now)
    first = await plans.renew(tenant.id, now=now)
    second = await plans.renew(tenant.id, now=now)
    # then
    assert tenant.id in due
    assert (first, second) == (True, None)
    assert (await wallet.balance(tenant.id)).balance == 25_000_000
    periods = await PlanPeriod.filter(tenant_id=tenant.id).order_by("starts_at")
    assert periods[1].starts_at == periods[0].ends_at
    assert await plans.renewals_due(now=now) == []


async def test_a_renewal_the_wallet_cannot_pay_lapses_to_pay_as_you_go_and_tells_the_owner(db: None) -> None:
    """False; the plan is pay as you go; one notice; runs are charged from then on."""
    # given
    tenant = await store()
    await wallet.top_up(tenant.id, amount=60_000_000, key="t", reference="test")  # fee: 50,000,000
    await plans.subscribe(
        tenant_id=tenant.id, plan="annual", client_key="k1", now=datetime.now(UTC) - timedelta(days=400)
    )
    # when
    lapsed = await plans.renew(tenant.id)
    again = await plans.renew(tenant.id)
    # then
    assert (lapsed, again) == (False, None)
    state = await plans.plan_state(tenant.id)
    assert (state.plan, state.period_ends_at) == ("pay_as_you_go", None)
    [notice] = await OutboundMessage.filter(tenant_id=tenant.id, origin_key__startswith="billing:plan_lapsed")
    assert notice.phone == OWNER
    assert (await wallet.balance(tenant.id)).balance == 10_000_000


async def test_switching_to_pay_as_you_go_stops_renewal_but_keeps_the_paid_period(db: None) -> None:
    """The period still covers now; renews is False; nothing is refunded."""
    # given
    tenant = await store()
    await tariffs.set_tenant_tariff(
        tenant_id=tenant.id, annual_fee=100_000, journey_run_price=None, sms_part_price=None
    )
    await wallet.top_up(tenant.id, amount=100_000, key="t", reference="test")
    await plans.subscribe(tenant_id=tenant.id, plan="annual", client_key="k1")
    # when
    state = await plans.subscribe(tenant_id=tenant.id, plan="pay_as_you_go", client_key="k2")
    # then
    assert (state.plan, state.renews) == ("pay_as_you_go", False) and state.period_ends_at is not None
    assert (await wallet.balance(tenant.id)).balance == 0


async def test_the_projected_cost_is_the_recent_daily_rate_times_days_times_the_tariff(db: None) -> None:
    """A journey active 10 days that started 20 runs and sent 10 two-part SMS projects, for 7 days,
    14 runs × 500 and 14 parts × 1,500."""
    # given
    tenant = await store()
    journey = await make_journey(tenant, JOURNEY)
    now = datetime.now(UTC)
    journey.activated_at = now - timedelta(days=10)
    await journey.save()
    customers = [
        await Customer.create(tenant_id=tenant.id, external_id=f"c{n}", phone=f"+98912{n:07d}")
        for n in range(20)
    ]
    runs = await enrol_customers(journey, customers)
    await AutomationRun.filter(tenant_id=tenant.id).update(created_at=now - timedelta(days=2))
    for number, run in enumerate(runs[:10]):
        message = await OutboundMessage.create(
            tenant_id=tenant.id,
            origin_key=f"run:{run.id}:step:0",
            purpose="transactional",
            phone=f"+98912{number:07d}",
            body="x",
            encoding="ucs2",
            parts=2,
            status="sent",
        )
        await AutomationStepEvent.create(
            tenant_id=tenant.id,
            automation_id=journey.id,
            run_id=run.id,
            step_id="s",
            outcome="done",
            occurred_at=now - timedelta(days=1),
            message_id=message.id,
        )
    # when
    projected = await projection.projected_journey_cost(tenant_id=tenant.id, days=7, now=now)
    # then
    [one] = projected.journeys
    assert (one.observed_days, one.runs, one.parts) == (10, 14, 14)
    assert projected.cost == 14 * 500 + 14 * 1_500
