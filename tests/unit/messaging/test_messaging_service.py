"""Queueing SMS: once per origin, opt-outs honoured (delivery is tests/unit/messaging/test_delivery.py)."""

from __future__ import annotations

from typing import Any

from domain.messaging import service as messaging
from domain.messaging.models import OutboundMessage
from domain.tenancy.models import Tenant
from tests.support.automation import make_customer, make_tenant


async def queue(
    tenant: Tenant, *, purpose: str = "transactional", body: str = "سلام", **customer: Any
) -> OutboundMessage:
    """Queue one message to a new customer of ``tenant`` (``customer``: make_customer's options)."""
    person = await make_customer(tenant, **customer)
    return await messaging.queue_sms(
        tenant=tenant, customer=person, origin_key="run:1:step:0", purpose=purpose, body=body
    )


async def test_queueing_twice_for_one_origin_keeps_one_message(db: None) -> None:
    """The origin key makes queueing idempotent: the second call returns the first row."""
    # given
    tenant = await make_tenant()
    customer = await make_customer(tenant)
    # when
    first, second = [
        await messaging.queue_sms(
            tenant=tenant, customer=customer, origin_key="run:1:step:0", purpose="transactional", body=body
        )
        for body in ("first", "second")
    ]
    # then
    assert second.id == first.id and second.body == "first"
    assert (first.status, first.phone, first.encoding, first.parts) == ("queued", customer.phone, "GSM-7", 1)
    assert await OutboundMessage.all().count() == 1


async def test_marketing_to_an_opted_out_customer_is_recorded_as_suppressed(db: None) -> None:
    """Opted-out customers get no marketing; the row says why, so reports can count it."""
    # given
    tenant = await make_tenant()
    # when
    message = await queue(tenant, purpose="marketing", marketing_consent=False)
    # then
    assert (message.status, message.failure_reason) == ("suppressed", "opted out")
    transactional = await messaging.queue_sms(
        tenant=tenant,
        customer=await make_customer(tenant, marketing_consent=False),
        origin_key="receipt",
        purpose="transactional",
        body="رسید",
    )
    assert transactional.status == "queued"


async def test_marketing_gets_the_opt_out_footer_once(db: None) -> None:
    """The footer is added to marketing bodies, not twice, and counts in the parts."""
    # given
    tenant = await make_tenant()
    # when
    plain = await queue(tenant, purpose="marketing", body="تخفیف ویژه")
    footed = await messaging.queue_sms(
        tenant=tenant,
        customer=await make_customer(tenant),
        origin_key="other",
        purpose="marketing",
        body="تخفیف ویژه\nلغو۱۱",
    )
    # then
    assert plain.body == footed.body == "تخفیف ویژه\nلغو۱۱"
    assert plain.encoding == "UCS-2"
