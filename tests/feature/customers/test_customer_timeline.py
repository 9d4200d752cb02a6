"""A customer's timeline through GraphQL: what the store's events made of them (events, orders, refunds)
and what Revisit did with them (credit, messages, automation runs, segments), newest first, paged by
cursor, filtered by kind, for their own store only, in one statement whatever its length."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.applications import Starlette

from domain.automation import service as automations
from domain.automation.models import AutomationRun
from domain.customers.models import Customer
from domain.incentives.models import CreditEntry
from domain.messaging.models import OutboundMessage
from domain.segments.models import Segment, SegmentMembership
from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.api import ApiClient
from tests.support.automation import definition
from tests.support.factories import Owner, make_owner, make_store_key
from tests.support.statements import recorded_statements
from tests.support.worker import drain_queue

TIMELINE = """
query Timeline($id: ID!, $tenantId: ID, $first: Int, $after: String, $kinds: [TimelineKind!]) {
  customer(id: $id, tenantId: $tenantId) {
    timeline(first: $first, after: $after, kinds: $kinds) {
      edges {
        cursor
        node {
          __typename
          ... on TimelineEntry { at kind summary }
          ... on TimelineEvent { type status }
          ... on TimelineOrder { number status total }
          ... on TimelineRefund { orderNumber amount reason }
          ... on TimelineCredit { creditKind amount expiresAt }
          ... on TimelineMessage { body parts status }
          ... on TimelineAutomationRun { automationName state }
          ... on TimelineSegment { segmentName }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def customer_event(event_id: str, occurred_at: str, external_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "customer.created",
        "occurred_at": occurred_at,
        "data": {"external_id": external_id, "phone": f"0912{external_id:0>7}", "first_name": "سارا"},
    }


def order_event(
    event_id: str, occurred_at: str, number: str, status: str, total: str, customer: str = "57"
) -> dict[str, Any]:
    """Order ``number`` of ``customer`` (the store's customer id), as it is at ``occurred_at``."""
    return {
        "id": event_id,
        "type": "order.updated",
        "occurred_at": occurred_at,
        "data": {
            "external_id": number,
            "status": status,
            "currency": "IRT",
            "total": total,
            "customer": {"external_id": customer},
        },
    }


def refund_event(event_id: str, occurred_at: str, *, order: str, amount: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.refunded",
        "occurred_at": occurred_at,
        "data": {
            "order_external_id": order,
            "refund_id": f"r-{order}",
            "amount": amount,
            "currency": "IRT",
            "reason": "broken",
        },
    }


STORE_HISTORY = [
    customer_event("c-57", "2026-11-01T09:00:00+03:30", "57"),
    order_event("o-1001-a", "2026-11-02T10:00:00+03:30", "1001", "processing", "800000"),
    order_event("o-1001-b", "2026-11-03T10:00:00+03:30", "1001", "completed", "800000"),
    order_event("o-1002", "2026-11-10T12:00:00+03:30", "1002", "completed", "2000000"),
    refund_event("r-1002", "2026-11-12T08:00:00+03:30", order="1002", amount="500000"),
    # another customer's order, which is not on 57's timeline
    order_event("o-1003", "2026-11-11T12:00:00+03:30", "1003", "completed", "100000", customer="58"),
]

EXPECTED = [  # 57's timeline, newest first; at one moment, kinds in alphabetical order
    ("SEGMENT_LEFT", "Left segment VIP"),
    ("AUTOMATION_RUN", "Automation Win-back (waiting)"),
    ("MESSAGE", "SMS (sent): سارا جان، ۱۰٪ تخفیف برای خرید بعدی"),
    ("CREDIT", "Credit cashback +80000"),
    ("EVENT", "order.refunded (processed)"),
    ("REFUND", "Refund of 500000 on order 1002"),
    ("EVENT", "order.updated (processed)"),
    ("ORDER", "Order 1002 placed (completed), 2000000"),
    ("SEGMENT_ENTERED", "Entered segment VIP"),
    ("EVENT", "order.updated (processed)"),
    ("EVENT", "order.updated (processed)"),
    ("ORDER", "Order 1001 placed (completed), 800000"),
    ("EVENT", "customer.created (processed)"),
]


@dataclass
class Story:
    owner: Owner
    customer: Customer


async def sent_and_processed(client: ApiClient, owner: Owner, settings: Settings, urls: ServiceUrls) -> None:
    """The store's history through the REST route with a store key, and the real worker after it."""
    key = await make_store_key(owner)
    answer = await client.http.post(
        "/rest/v1/events", json={"events": STORE_HISTORY}, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 202, answer.text
    await drain_queue(settings, urls)


async def revisits_doings(owner: Owner, customer: Customer) -> None:
    """What Revisit did with customer 57, written straight into its tables: a cashback line, an SMS, an
    automation run, and a stay in a segment that has ended."""
    tenant_id = owner.tenant.id
    await CreditEntry.create(
        tenant_id=tenant_id,
        customer_id=customer.id,
        kind="cashback",
        amount=80_000,
        available_at=at("2026-11-20T09:00:00+03:30"),
        expires_at=at("2027-02-13T09:00:00+03:30"),
        idempotency_key="cashback:1001",
        created_at=at("2026-11-13T09:00:00+03:30"),
    )
    await OutboundMessage.create(
        tenant_id=tenant_id,
        customer_id=customer.id,
        origin_key="campaign:1:57",
        purpose="marketing",
        phone=customer.phone,
        body="سارا جان، ۱۰٪ تخفیف برای خرید بعدی",
        encoding="UCS-2",
        parts=1,
        status="sent",
        created_at=at("2026-11-14T09:00:00+03:30"),
    )
    automation = await automations.create(tenant_id=tenant_id, name="Win-back", definition=definition())
    await AutomationRun.create(
        tenant_id=tenant_id,
        automation_id=automation.id,
        automation_version=1,
        customer_id=customer.id,
        enrolment_key="winback:57",
        state="waiting",
        due_at=at("2026-12-15T09:00:00+03:30"),
        created_at=at("2026-11-15T09:00:00+03:30"),
    )
    segment = await Segment.create(tenant_id=tenant_id, name="VIP", kind="static")
    await SegmentMembership.create(
        tenant_id=tenant_id,
        segment_id=segment.id,
        customer_id=customer.id,
        entered_at=at("2026-11-05T09:00:00+03:30"),
        left_at=at("2026-11-16T09:00:00+03:30"),
    )


async def a_customers_story(client: ApiClient, settings: Settings, urls: ServiceUrls) -> Story:
    owner = await make_owner()
    await sent_and_processed(client, owner, settings, urls)
    customer = await Customer.get(tenant_id=owner.tenant.id, external_id="57")
    await revisits_doings(owner, customer)
    return Story(owner, customer)


async def timeline(client: ApiClient, story: Story, **variables: Any) -> dict[str, Any]:
    result = await client.graphql(
        TIMELINE, {"id": str(story.customer.id), **variables}, token=story.owner.token
    )
    return result.ok()["customer"]["timeline"]


def kinds_and_summaries(page: dict[str, Any]) -> list[tuple[str, str]]:
    """The page's entries as (kind, summary), leaving out the store's built-in segments: processing keeps
    those by the store's own rules, as of when it ran; this story is about the VIP segment."""
    return [
        (edge["node"]["kind"], edge["node"]["summary"])
        for edge in page["edges"]
        if edge["node"].get("segmentName", "VIP") == "VIP"
    ]


async def test_the_timeline_tells_everything_that_happened_to_the_customer_newest_first(
    app: Starlette, client: ApiClient, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Events processed about the customer, their orders and refund, a credit line, an SMS, an automation
    run and a segment entered and left: all of them, newest first, with their details, and nothing of
    another customer of the store."""
    # given
    story = await a_customers_story(client, settings, service_urls)
    # when
    page = await timeline(client, story, first=50)
    # then
    assert kinds_and_summaries(page) == EXPECTED
    assert page["pageInfo"]["hasNextPage"] is False
    nodes: dict[str, dict[str, Any]] = {}  # the newest entry of each type
    for edge in page["edges"]:
        nodes.setdefault(edge["node"]["__typename"], edge["node"])
    assert nodes["TimelineOrder"] == {
        "__typename": "TimelineOrder",
        "at": "2026-11-10T08:30:00+00:00",
        "kind": "ORDER",
        "summary": "Order 1002 placed (completed), 2000000",
        "number": "1002",
        "status": "completed",
        "total": 2000000,
    }
    assert {key: nodes["TimelineRefund"][key] for key in ("orderNumber", "amount", "reason")} == {
        "orderNumber": "1002",
        "amount": 500000,
        "reason": "broken",
    }
    assert nodes["TimelineCredit"]["creditKind"] == "cashback"
    assert nodes["TimelineCredit"]["expiresAt"] == "2027-02-13T05:30:00+00:00"
    assert (nodes["TimelineMessage"]["parts"], nodes["TimelineMessage"]["status"]) == (1, "sent")
    assert nodes["TimelineAutomationRun"]["state"] == "WAITING"
    assert nodes["TimelineEvent"] == {
        "__typename": "TimelineEvent",
        "at": "2026-11-12T04:30:00+00:00",
        "kind": "EVENT",
        "summary": "order.refunded (processed)",
        "type": "order.refunded",
        "status": "processed",
    }


async def test_pages_after_a_cursor_hold_the_rest_without_duplicates_or_gaps(
    app: Starlette, client: ApiClient, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Walking the timeline two entries at a time, each page after the last one's end cursor, gives the
    whole timeline once (entries at the same moment included), and the last page says there is no more."""
    # given
    story = await a_customers_story(client, settings, service_urls)
    whole = await timeline(client, story, first=50)
    # when
    pages = [await timeline(client, story, first=2)]
    while pages[-1]["pageInfo"]["hasNextPage"]:
        pages.append(await timeline(client, story, first=2, after=pages[-1]["pageInfo"]["endCursor"]))
    # then
    walked = [edge for page in pages for edge in page["edges"]]
    assert walked == whole["edges"]
    assert len({edge["cursor"] for edge in walked}) == len(walked) >= len(EXPECTED)
    assert all(len(page["edges"]) == 2 for page in pages[:-1]) and 1 <= len(pages[-1]["edges"]) <= 2


async def test_kinds_keep_only_those_kinds_in_the_same_order(
    app: Starlette, client: ApiClient, settings: Settings, service_urls: ServiceUrls
) -> None:
    """kinds: [ORDER, REFUND] is the customer's orders and refund only; [SEGMENT_LEFT] the stay that ended;
    an empty list, nothing."""
    # given
    story = await a_customers_story(client, settings, service_urls)
    # when
    commerce = await timeline(client, story, kinds=["ORDER", "REFUND"])
    left = await timeline(client, story, kinds=["SEGMENT_LEFT"])
    none = await timeline(client, story, kinds=[])
    # then
    assert kinds_and_summaries(commerce) == [entry for entry in EXPECTED if entry[0] in ("ORDER", "REFUND")]
    assert kinds_and_summaries(left) == [("SEGMENT_LEFT", "Left segment VIP")]
    assert none["edges"] == [] and none["pageInfo"] == {"hasNextPage": False, "endCursor": None}


async def test_a_cursor_this_api_did_not_give_out_is_invalid_cursor(
    app: Starlette, client: ApiClient, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Garbage, a cursor naming an unknown kind, and one of another list (the orders list's format) are
    each INVALID_CURSOR, as in every other list."""
    # given
    story = await a_customers_story(client, settings, service_urls)
    orders = await client.graphql("{ orders(first: 1) { pageInfo { endCursor } } }", token=story.owner.token)
    other_list = orders.ok()["orders"]["pageInfo"]["endCursor"]
    unknown_kind = base64.urlsafe_b64encode(b"2026-11-10T08:30:00+00:00|visit|1").decode()
    for cursor in ("not a cursor", unknown_kind, other_list):
        # when
        result = await client.graphql(
            TIMELINE, {"id": str(story.customer.id), "after": cursor}, token=story.owner.token
        )
        # then
        assert result.error_codes() == ["INVALID_CURSOR"], cursor
        assert result.data is None


async def test_another_store_cannot_read_the_timeline(
    app: Starlette, client: ApiClient, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Owner B asking for store A's customer in B's own store finds no such customer (NOT_FOUND); naming
    store A is FORBIDDEN. Neither answers anything of the timeline."""
    # given
    story = await a_customers_story(client, settings, service_urls)
    stranger = await make_owner()
    variables = {"id": str(story.customer.id)}
    # when
    not_found = await client.graphql(TIMELINE, variables, token=stranger.token)
    forbidden = await client.graphql(
        TIMELINE, {**variables, "tenantId": story.owner.tenant_id}, token=stranger.token
    )
    # then
    assert not_found.error_codes() == ["NOT_FOUND"] and not_found.data is None
    assert forbidden.error_codes() == ["FORBIDDEN"] and forbidden.data is None


async def test_the_timeline_costs_the_same_statements_however_long_it_is(
    app: Starlette, client: ApiClient, settings: Settings, service_urls: ServiceUrls
) -> None:
    """Authentication, the customer and one statement for the page: three, and still three with 40
    entries more."""
    # given
    story = await a_customers_story(client, settings, service_urls)
    with recorded_statements() as short:
        first = await timeline(client, story, first=100)
    await OutboundMessage.bulk_create(
        [
            OutboundMessage(
                tenant_id=story.owner.tenant.id,
                customer_id=story.customer.id,
                origin_key=f"bulk:{number}:57",
                purpose="marketing",
                phone=story.customer.phone,
                body=f"پیام {number}",
                encoding="UCS-2",
                parts=1,
                created_at=at("2026-11-30T09:00:00+03:30"),
            )
            for number in range(40)
        ]
    )
    # when
    with recorded_statements() as long:
        second = await timeline(client, story, first=100)
    # then
    assert len(first["edges"]) >= len(EXPECTED) and len(second["edges"]) == len(first["edges"]) + 40
    assert len(short) == len(long) == 3, long
