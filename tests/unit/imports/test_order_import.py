"""Importing an orders file: the rows of one order become one order event with its lines."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.commerce.models import Order, OrderItem
from domain.customers.models import Customer
from domain.events.models import IngestedEvent
from domain.events.processing import process_pending
from domain.imports.service import ImportKind, import_file
from tests.support.events import NOW
from tests.support.factories import make_owner

ORDERS = b"""order_id,status,currency,total,placed_at,customer_external_id,phone,first_name,\
product_id,product_name,quantity,line_total,category_ids,coupon_codes
1042,completed,IRT,1250000,2024-12-20 18:45,57,09121234567,Sara,88,Masala tea,2,1200000,12|31,YALDA1403
1042,,,,,,,,89,Cups,1,50000,,
1043,processing,irt,300000,2024-12-21T10:00:00Z,,09351112233,Reza,88,Masala tea,1,300000,12,
"""


async def test_rows_sharing_an_order_id_become_one_order_with_its_lines(db: None) -> None:
    """Three rows, two orders: the first has two lines; naive times are the store's (Tehran) time."""
    # given
    owner = await make_owner(currency="IRT")
    # when
    report = await import_file(tenant_id=owner.tenant.id, kind=ImportKind.ORDERS, content=ORDERS, now=NOW)
    await process_pending(tenant_id=owner.tenant.id, now=NOW)
    # then
    assert (report.stored, report.rows, report.events, report.accepted) == (True, 3, 2, 2)
    order = await Order.get(tenant_id=owner.tenant.id, external_id="1042")
    assert (order.status, order.total) == ("completed", 1250000)
    assert order.placed_at == datetime(2024, 12, 20, 15, 15, tzinfo=UTC)
    items = await OrderItem.filter(order_id=order.id).order_by("product_id")
    assert [(item.product_id, item.quantity, item.total) for item in items] == [
        ("88", 2, 1200000),
        ("89", 1, 50000),
    ]
    assert items[0].category_ids == ["12", "31"]
    sara = await Customer.get(tenant_id=owner.tenant.id, external_id="57")
    assert (sara.orders_count, sara.phone) == (1, "+989121234567")
    guest = await Customer.get(tenant_id=owner.tenant.id, phone="+989351112233")
    assert guest.external_id is None


async def test_an_order_in_another_currency_than_the_stores_is_rejected(db: None) -> None:
    """The store sells in IRT: a USD order is rejected on its currency cell and nothing is stored."""
    # given
    owner = await make_owner(currency="IRT")
    content = (
        b"order_id,status,currency,total,placed_at\n"
        b"1,completed,IRT,10,2024-12-20T10:00:00Z\n"
        b"2,completed,USD,10,2024-12-20T10:00:00Z\n"
    )
    # when
    report = await import_file(tenant_id=owner.tenant.id, kind=ImportKind.ORDERS, content=content, now=NOW)
    # then
    assert not report.stored
    assert [(p.line, p.field, p.message) for p in report.problems] == [
        (3, "currency", "The store's currency is IRT; this order is in USD.")
    ]
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).count() == 0


async def test_rows_of_one_order_that_disagree_and_bad_lines_are_named_line_by_line(db: None) -> None:
    """A second row with another status, a line with a negative quantity, a total beyond 10^15."""
    # given
    owner = await make_owner(currency="IRT")
    content = (
        b"order_id,status,total,placed_at,product_id,quantity,line_total\n"
        b"1,completed,100,2024-12-20T10:00:00Z,88,1,100\n"
        b"1,cancelled,,,89,1,0\n"
        b"2,completed,100,2024-12-20T10:00:00Z,88,1,100\n"
        b"2,,,,89,-3,100\n"
        b"3,completed,99999999999999999999,2024-12-20T10:00:00Z,,,\n"
        b"4,completed,abc,yesterday,,,\n"
        b"5,,100,2024-12-20T10:00:00Z,,2,\n"
    )
    # when
    report = await import_file(tenant_id=owner.tenant.id, kind=ImportKind.ORDERS, content=content, now=NOW)
    # then
    found = [(p.line, p.field) for p in report.problems]
    assert found == [
        (3, "status"),
        (5, "quantity"),
        (6, "total"),
        (7, "placed_at"),
        (7, "total"),
        (8, "product_id"),
    ]
    assert "differs from “completed” on line 2" in report.problems[0].message
    assert "greater than or equal to 1" in report.problems[1].message
    assert report.rejected_rows == 5
