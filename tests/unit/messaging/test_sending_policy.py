"""queue_sms under the whole sending policy, on real PostgreSQL: quiet hours move marketing to the
morning, caps skip or defer it on the store's days (and hold when two journeys queue at once),
suppressed phones get none, transactional messages ignore all of it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from domain.customers.models import Customer
from domain.errors import DomainError
from domain.messaging import policy, suppressions
from domain.messaging import service as messaging
from domain.messaging.models import OutboundMessage
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant

TEHRAN = ZoneInfo("Asia/Tehran")
_keys = iter(range(1_000_000))


def tehran(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026 on the Tehran wall clock, in UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=TEHRAN).astimezone(UTC)


async def send(
    tenant: Tenant, customer: Customer, now: datetime, *, purpose: str = "marketing", **options: Any
) -> OutboundMessage:
    """Queue one message with a fresh origin key."""
    return await messaging.queue_sms(
        tenant=tenant,
        customer=customer,
        origin_key=f"test:{next(_keys)}",
        purpose=purpose,
        body="تخفیف ویژه",
        now=now,
        **options,
    )


async def store(**policy: Any) -> Tenant:
    tenant = await make_tenant()
    if policy:
        await Tenant.filter(id=tenant.id).update(**policy)
        tenant = await Tenant.get(id=tenant.id)
    return tenant


async def test_marketing_in_quiet_hours_is_queued_for_the_opening(db: None) -> None:
    """At 23:10 Tehran time a marketing SMS waits for 08:00; the reason says so."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    # when
    message = await send(tenant, customer, tehran(1, 23, 10))
    # then
    assert (message.status, message.send_after, message.policy_reason) == (
        "queued",
        tehran(2, 8, 0),
        "quiet_hours",
    )


async def test_marketing_outside_quiet_hours_goes_at_once(db: None) -> None:
    """At 21:59 nothing waits: send_after is the moment it was queued, and no reason is recorded."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    # when
    message = await send(tenant, customer, tehran(1, 21, 59))
    # then
    assert (message.status, message.send_after, message.policy_reason) == ("queued", tehran(1, 21, 59), None)


async def test_transactional_messages_ignore_quiet_hours_and_caps(db: None) -> None:
    """Receipts at 23:00 go at once, as many as there are, and take no marketing slot."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    # when
    receipts = [await send(tenant, customer, tehran(1, 23, 0), purpose="transactional") for _ in range(3)]
    marketing = await send(tenant, customer, tehran(2, 9, 0))
    # then
    assert {(m.status, m.send_after, m.policy_reason) for m in receipts} == {
        ("queued", tehran(1, 23, 0), None)
    }
    assert (marketing.status, marketing.policy_reason) == ("queued", None)


async def test_a_second_marketing_sms_on_one_local_day_is_skipped_with_the_reason(db: None) -> None:
    """The default cap is one a day: the second of 09:00 and 21:00 is skipped as daily_cap."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    await send(tenant, customer, tehran(1, 9, 0))
    # when
    second = await send(tenant, customer, tehran(1, 21, 0))
    # then
    assert (second.status, second.policy_reason, second.send_after) == ("skipped", "daily_cap", None)
    assert "frequency cap" in (second.failure_reason or "")


async def test_the_day_is_the_stores_day_not_utcs(db: None) -> None:
    """23:50 UTC on the 1st is 03:20 on the 2nd in Tehran: a message at 20:00 UTC (23:30 Tehran on the
    1st, moved by quiet hours to 08:00 on the 2nd) already holds the 2nd."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    first = await send(tenant, customer, datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    # when
    second = await send(tenant, customer, tehran(2, 10, 0), when_capped="defer")
    # then
    assert first.send_after == tehran(2, 8, 0)
    assert (second.status, second.send_after, second.policy_reason) == (
        "queued",
        tehran(3, 8, 0),
        "daily_cap",
    )


async def test_a_deferred_message_goes_at_the_opening_of_the_first_day_with_room(db: None) -> None:
    """Deferred, the second SMS of the day is due at 08:00 the next day — and counts for that day."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    await send(tenant, customer, tehran(1, 9, 0))
    # when
    deferred = await send(tenant, customer, tehran(1, 10, 0), when_capped="defer")
    next_day = await send(tenant, customer, tehran(2, 12, 0))
    # then
    assert (deferred.status, deferred.send_after, deferred.policy_reason) == (
        "queued",
        tehran(2, 8, 0),
        "daily_cap",
    )
    assert (next_day.status, next_day.policy_reason) == ("skipped", "daily_cap")


async def test_the_week_is_any_seven_local_days(db: None) -> None:
    """Three a week: after the 1st, 2nd and 3rd, the 4th and the 7th are full; on the 8th the 1st has
    left the 7 days, so there is room again."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    for day in (1, 2, 3):
        assert (await send(tenant, customer, tehran(day, 10, 0))).status == "queued"
    # when
    fourth = await send(tenant, customer, tehran(4, 10, 0))
    seventh = await send(tenant, customer, tehran(7, 10, 0))
    eighth = await send(tenant, customer, tehran(8, 10, 0))
    # then
    assert (fourth.status, fourth.policy_reason) == ("skipped", "weekly_cap")
    assert (seventh.status, seventh.policy_reason) == ("skipped", "weekly_cap")
    assert (eighth.status, eighth.policy_reason) == ("queued", None)


async def test_deferred_messages_hold_their_future_days_under_the_weekly_cap(db: None) -> None:
    """Four SMS deferred on the 1st land on the 1st, 2nd, 3rd and then the 8th: a new one on the 1st's
    week would make four in the 7 days ending on the 3rd, so the 4th–7th have no room."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    # when
    due = [
        (await send(tenant, customer, tehran(1, 10, minute), when_capped="defer")).send_after
        for minute in range(4)
    ]
    # then
    assert due == [tehran(1, 10, 0), tehran(2, 8, 0), tehran(3, 8, 0), tehran(8, 8, 0)]


async def test_skipped_suppressed_and_failed_messages_take_no_slot(db: None) -> None:
    """Only messages that are queued or went out count under the caps."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    skipped_by = await send(tenant, customer, tehran(1, 9, 0))
    await OutboundMessage.filter(id=skipped_by.id).update(status="failed")
    # when
    again = await send(tenant, customer, tehran(1, 10, 0))
    # then
    assert (again.status, again.policy_reason) == ("queued", None)


async def test_no_cap_sends_every_message_and_a_cap_of_zero_none(db: None) -> None:
    """null caps are no caps; a daily cap of 0 skips marketing even when asked to defer."""
    # given
    free = await store(marketing_daily_cap=None, marketing_weekly_cap=None)
    closed = await store(marketing_daily_cap=0)
    a, b = await make_customer(free), await make_customer(closed)
    # when
    many = [await send(free, a, tehran(1, 10, minute)) for minute in range(5)]
    never = await send(closed, b, tehran(1, 10, 0), when_capped="defer")
    # then
    assert {m.status for m in many} == {"queued"}
    assert (never.status, never.policy_reason) == ("skipped", "daily_cap")


async def test_two_journeys_queueing_for_one_customer_at_once_do_not_both_pass_a_cap_of_one(
    db: None,
) -> None:
    """The second transaction waits on the customer's lock while the first holds its new message, then
    counts it: one queued, one skipped, in whichever order they ran."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    now = tehran(1, 10, 0)
    first_holds = asyncio.Event()

    async def first() -> OutboundMessage:
        async with in_transaction():
            message = await send(tenant, customer, now)
            first_holds.set()
            await _until_a_lock_is_awaited()
            return message

    async def second() -> OutboundMessage:
        await first_holds.wait()
        async with in_transaction():
            return await send(tenant, customer, now)

    # when
    results = await asyncio.gather(first(), second())
    # then
    assert sorted(m.status for m in results) == ["queued", "skipped"]
    assert await OutboundMessage.filter(tenant_id=tenant.id, status="queued").count() == 1


async def test_the_same_origin_queued_twice_at_once_is_one_message(db: None) -> None:
    """Two calls with one origin key at once leave one row, and both answer it."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)

    async def queue() -> OutboundMessage:
        async with in_transaction():
            return await messaging.queue_sms(
                tenant=tenant,
                customer=customer,
                origin_key="run:7:s1",
                purpose="marketing",
                body="x",
                now=tehran(1, 10),
            )

    # when
    first, second = await asyncio.gather(queue(), queue())
    # then
    assert first.id == second.id
    assert await OutboundMessage.filter(tenant_id=tenant.id).count() == 1


async def test_marketing_to_a_suppressed_phone_is_suppressed_and_receipts_still_go(db: None) -> None:
    """A phone that texted «۱۱» gets no marketing but still its receipts; lifting it lets marketing in."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    assert customer.phone is not None
    await suppressions.record_inbound(
        tenant_id=tenant.id, phone=customer.phone, body="۱۱", received_at=tehran(1, 8), source="test"
    )
    # when
    marketing = await send(tenant, customer, tehran(1, 10))
    receipt = await send(tenant, customer, tehran(1, 10), purpose="transactional")
    await suppressions.lift(tenant_id=tenant.id, phone=customer.phone, user_id=None, at=tehran(1, 11))
    after = await send(tenant, customer, tehran(1, 12))
    # then
    assert (marketing.status, marketing.policy_reason) == ("suppressed", "suppressed_number")
    assert receipt.status == "queued"
    assert after.status == "queued"


async def test_a_suppression_in_one_store_leaves_another_stores_marketing_alone(db: None) -> None:
    """The list is per store: the same phone in another store still gets its marketing."""
    # given
    mine, theirs = await store(), await store()
    customer = await make_customer(theirs, phone="+989120000001")
    await suppressions.suppress(
        tenant_id=mine.id, phone="+989120000001", source="owner", keyword=None, at=tehran(1, 8)
    )
    # when
    message = await send(theirs, customer, tehran(1, 10))
    # then
    assert message.status == "queued"


@pytest.mark.parametrize("when_capped", ["", "later", "SKIP"])
async def test_an_unknown_when_capped_is_refused(db: None, when_capped: str) -> None:
    """when_capped is skip or defer; anything else is INVALID and writes nothing."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    # when / then
    with pytest.raises(DomainError) as refused:
        await send(tenant, customer, tehran(1, 10), when_capped=when_capped)
    assert refused.value.code == "INVALID"
    assert await OutboundMessage.filter(tenant_id=tenant.id).count() == 0


@pytest.mark.parametrize("body", ["", "   ", "\n\t"])
async def test_a_blank_body_is_not_a_message(db: None, body: str) -> None:
    """A blank body (the footer alone would be all it said) is EMPTY_MESSAGE, for either purpose."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    # when / then
    for purpose in ("marketing", "transactional"):
        with pytest.raises(DomainError) as refused:
            await messaging.queue_sms(
                tenant=tenant, customer=customer, origin_key=f"blank:{purpose}", purpose=purpose, body=body
            )
        assert refused.value.code == "EMPTY_MESSAGE"


async def _until_a_lock_is_awaited() -> None:
    """Return once another session waits for an advisory lock (the second journey, on our customer)."""
    connection = Tortoise.get_connection("default")
    for _ in range(500):
        rows = await connection.execute_query_dict(
            "SELECT count(*) AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        if rows[0]["waiting"]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second transaction never waited for the customer's lock")


async def test_a_day_of_25_hours_is_one_day_of_the_store(db: None) -> None:
    """London, 31 October 2027 (clocks back at 02:00 BST): 00:30 BST and 23:30 GMT are the same local
    day — on UTC's calendar they are two — so the second is over the daily cap; 00:00 GMT on 1 November
    is the next day."""
    # given
    tenant = await tenancy.create_tenant(
        tenant_in=tenancy.TenantIn(name="Shop", currency="GBP", locale="en", timezone="Europe/London")
    )
    await Tenant.filter(id=tenant.id).update(quiet_hours_start=0, quiet_hours_end=0)
    tenant = await Tenant.get(id=tenant.id)
    customer = await Customer.create(
        tenant_id=tenant.id, phone="+447911123456", consent_source="store", marketing_consent=True
    )
    # when
    first = await send(tenant, customer, datetime(2027, 10, 30, 23, 30, tzinfo=UTC))  # 00:30 BST, 31st
    late = await send(tenant, customer, datetime(2027, 10, 31, 23, 30, tzinfo=UTC))  # 23:30 GMT, 31st
    next_day = await send(tenant, customer, datetime(2027, 11, 1, 0, 0, tzinfo=UTC))  # 00:00 GMT, 1st
    # then
    assert (first.status, late.status, late.policy_reason, next_day.status) == (
        "queued",
        "skipped",
        "daily_cap",
        "queued",
    )


async def test_a_naive_moment_is_refused(db: None) -> None:
    """A now without a time zone cannot be placed on the store's clock."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    # when / then
    with pytest.raises(ValueError, match="aware"):
        await send(tenant, customer, datetime(2026, 12, 1, 10, 0))


async def test_a_message_held_overnight_is_withdrawn_when_its_customer_says_no_before_morning(
    db: None,
) -> None:
    """Queued at 23:00 for 08:00, the store's data says no at 23:30: the delivery's check suppresses
    the message with the reason, on the row it holds; a receipt held the same way would still go."""
    # given
    tenant = await store()
    customer = await make_customer(tenant)
    held = await send(tenant, customer, tehran(1, 23, 0))
    receipt = await send(tenant, customer, tehran(1, 23, 0), purpose="transactional")
    await Customer.filter(id=customer.id).update(marketing_consent=False, consent_source="store")
    # when
    async with in_transaction():
        locked = await OutboundMessage.select_for_update().get(id=held.id)
        withdrawn = await messaging.withdraw_if_refused(locked, tenant=tenant)
        receipt_withdrawn = await messaging.withdraw_if_refused(
            await OutboundMessage.get(id=receipt.id), tenant=tenant
        )
    # then
    stored = await OutboundMessage.get(id=held.id)
    assert (withdrawn, receipt_withdrawn) == (True, False)
    assert (stored.status, stored.policy_reason) == ("suppressed", "opted_out")
    assert (await OutboundMessage.get(id=receipt.id)).status == "queued"


async def test_a_held_message_whose_store_switched_to_opt_in_is_withdrawn(db: None) -> None:
    """A customer who never said is no longer a yes once the store asks first; one who said yes still is."""
    # given
    tenant = await store()
    unknown = await make_customer(tenant)
    said_yes = await make_customer(tenant)
    await Customer.filter(id=said_yes.id).update(consent_source="store")
    held = [await send(tenant, person, tehran(1, 23, 0)) for person in (unknown, said_yes)]
    await Tenant.filter(id=tenant.id).update(consent_mode="opt_in")
    tenant = await Tenant.get(id=tenant.id)
    # when
    results = [await messaging.withdraw_if_refused(message, tenant=tenant) for message in held]
    # then
    assert results == [True, False]
    assert (await OutboundMessage.get(id=held[0].id)).policy_reason == "no_consent"
    assert (await OutboundMessage.get(id=held[1].id)).status == "queued"


async def test_an_opt_out_suppresses_the_marketing_still_waiting_for_that_phone(db: None) -> None:
    """«۱۱» at 23:30 stops the 08:00 message at once — but not a receipt, another customer's message,
    or one a delivery has already taken (it may be on its way)."""
    # given
    tenant = await store()
    customer, other = await make_customer(tenant), await make_customer(tenant)
    assert customer.phone is not None
    held = await send(tenant, customer, tehran(1, 23, 0))
    taken = await send(tenant, customer, tehran(1, 23, 1), when_capped="defer")
    await OutboundMessage.filter(id=taken.id).update(claimed_until=tehran(2, 8, 5))
    receipt = await send(tenant, customer, tehran(1, 23, 0), purpose="transactional")
    theirs = await send(tenant, other, tehran(1, 23, 0))
    # when
    await suppressions.record_inbound(
        tenant_id=tenant.id, phone=customer.phone, body="لغو", received_at=tehran(1, 23, 30), source="test"
    )
    # then
    statuses = {m.id: (m.status, m.policy_reason) for m in await OutboundMessage.filter(tenant_id=tenant.id)}
    assert statuses[held.id] == ("suppressed", "suppressed_number")
    assert statuses[taken.id][0] == "queued"
    assert statuses[receipt.id] == ("queued", None)
    assert statuses[theirs.id] == ("queued", "quiet_hours")


async def test_switching_to_opt_in_suppresses_what_waits_for_customers_who_never_said(db: None) -> None:
    """The store starts asking first at 23:30: the 08:00 message to a customer who never said is not
    sent; the one to a customer who said yes still is."""
    # given
    tenant = await store()
    unknown, said_yes = await make_customer(tenant), await make_customer(tenant)
    await Customer.filter(id=said_yes.id).update(consent_source="store")
    held = [await send(tenant, person, tehran(1, 23, 0)) for person in (unknown, said_yes)]
    # when
    await policy.update_settings(tenant_id=tenant.id, consent_mode="opt_in")
    # then
    first, second = [await OutboundMessage.get(id=m.id) for m in held]
    assert (first.status, first.policy_reason) == ("suppressed", "no_consent")
    assert (second.status, second.policy_reason) == ("queued", "quiet_hours")
