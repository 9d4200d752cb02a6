"""A customer's timeline in GraphQL: the domain's entries as typed nodes of a cursor connection.

Every entry type implements :class:`TimelineEntry` (at, kind, summary); a connection's node is the union
of them, so ``... on TimelineEntry { at kind summary }`` reads what all have and ``... on TimelineOrder``
the details of one kind. Fields of the same name have the same type in every entry type (a status is a
string everywhere), so one selection can ask for all kinds' details. Cursors name an entry's place
(at, kind, id), never an offset.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from enum import Enum
from typing import Annotated
from uuid import UUID

import strawberry

from domain.customers import timeline
from domain.errors import DomainError
from graph.automation.types import AutomationRunState
from graph.core.pagination import PageInfo, page_size
from graph.core.scalars import Money

SUMMARY_BODY = 60
"""How much of a message's body its summary shows."""


@strawberry.enum(description="What a timeline entry is.")
class TimelineKind(Enum):
    EVENT = "event"
    ORDER = "order"
    REFUND = "refund"
    CREDIT = "credit"
    MESSAGE = "message"
    AUTOMATION_RUN = "automation_run"
    SEGMENT_ENTERED = "segment_entered"
    SEGMENT_LEFT = "segment_left"


@strawberry.interface(description="What every entry of a customer's timeline has.")
class TimelineEntry:
    at: datetime = strawberry.field(description="When it happened; the timeline is newest first.")
    kind: TimelineKind
    summary: str = strawberry.field(
        description="One short line saying what happened, amounts in minor units."
    )


@strawberry.type(description="An event the store sent about the customer, as processing left it.")
class TimelineEvent(TimelineEntry):
    event_id: strawberry.ID = strawberry.field(description="The event's id in `ingestedEvents`.")
    type: str = strawberry.field(description="The event's type, e.g. order.updated.")
    status: str = strawberry.field(description="pending, waiting, processed or failed.")


@strawberry.type(description="An order the customer placed; `at` is when it was placed.")
class TimelineOrder(TimelineEntry):
    order_id: strawberry.ID
    number: str
    status: str = strawberry.field(description="The order's status now, in WooCommerce's vocabulary.")
    total: Money


@strawberry.type(description="Money the store gave back on one of the customer's orders.")
class TimelineRefund(TimelineEntry):
    refund_id: strawberry.ID
    order_id: strawberry.ID
    order_number: str
    amount: Money
    reason: str


@strawberry.type(description="A line of the customer's credit ledger; `at` is when it was written.")
class TimelineCredit(TimelineEntry):
    entry_id: strawberry.ID = strawberry.field(description="The line's id in `creditLedger`.")
    credit_kind: str = strawberry.field(
        description="cashback, credit, reversal, redemption, release or return (see `CreditEntry.kind`)."
    )
    amount: Money = strawberry.field(description="Positive for what is given, negative for what is taken.")
    expires_at: datetime | None
    note: str


@strawberry.type(description="An SMS to the customer; `at` is when it was queued.")
class TimelineMessage(TimelineEntry):
    message_id: strawberry.ID = strawberry.field(description="The message's id in `outboundMessages`.")
    body: str = strawberry.field(description="The text as sent, footer included.")
    parts: int = strawberry.field(description="How many SMS parts the body costs.")
    status: str = strawberry.field(description="queued, sent, failed or suppressed (see `MessageStatus`).")


@strawberry.type(description="An enrolment of the customer in an automation; `at` is when it was made.")
class TimelineAutomationRun(TimelineEntry):
    run_id: strawberry.ID
    automation_id: strawberry.ID
    automation_name: str
    state: AutomationRunState = strawberry.field(description="Where the run is now.")


@strawberry.type(
    description="The customer entering (kind SEGMENT_ENTERED) or leaving (SEGMENT_LEFT) a segment."
)
class TimelineSegment(TimelineEntry):
    membership_id: strawberry.ID = strawberry.field(
        description="The stay in the segment; its entering and its leaving share it."
    )
    segment_id: strawberry.ID
    segment_name: str


TimelineItem = Annotated[
    TimelineEvent
    | TimelineOrder
    | TimelineRefund
    | TimelineCredit
    | TimelineMessage
    | TimelineAutomationRun
    | TimelineSegment,
    strawberry.union(
        "TimelineItem",
        description=(
            "One entry of a customer's timeline. Every member is a `TimelineEntry`: "
            "`... on TimelineEntry { at kind summary }` reads what all have."
        ),
    ),
]


@strawberry.type(description="An entry of the timeline and the cursor of its place.")
class TimelineEdge:
    cursor: str
    node: TimelineItem


@strawberry.type(description="A page of a customer's timeline, newest first.")
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: PageInfo

    @strawberry.field(description="The entries of this page, without cursors.")
    def nodes(self) -> list[TimelineItem]:
        return [edge.node for edge in self.edges]


def encode_cursor(position: timeline.Position) -> str:
    """The cursor of an entry's place: its moment, kind and id."""
    text = f"{position.at.isoformat()}|{position.kind}|{position.id}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str) -> timeline.Position:
    """The place a cursor of :func:`encode_cursor` names; INVALID_CURSOR for anything else."""
    try:
        moment, kind, key = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 2)
        at = datetime.fromisoformat(moment)
    except (ValueError, binascii.Error, UnicodeError) as exc:  # a wrong count of parts is a ValueError
        raise _invalid_cursor() from exc
    if at.tzinfo is None or kind not in timeline.KINDS or not key or "\x00" in key:
        raise _invalid_cursor()
    return timeline.Position(at=at, kind=kind, id=key)


def _invalid_cursor() -> DomainError:
    return DomainError("INVALID_CURSOR", "That cursor is not one this API gave out.", field="after")


def _amount(value: int) -> str:
    return f"{value:+}"


def _node(entry: timeline.TimelineEntry) -> TimelineItem:
    at, kind = entry.at, TimelineKind(entry.kind)
    match entry:
        case timeline.EventEntry():
            return TimelineEvent(
                at=at,
                kind=kind,
                summary=f"{entry.type} ({entry.status})",
                event_id=strawberry.ID(entry.id),
                type=entry.type,
                status=entry.status,
            )
        case timeline.OrderEntry():
            return TimelineOrder(
                at=at,
                kind=kind,
                summary=f"Order {entry.number} placed ({entry.status}), {entry.total}",
                order_id=strawberry.ID(str(entry.order_id)),
                number=entry.number,
                status=entry.status,
                total=Money(entry.total),
            )
        case timeline.RefundEntry():
            return TimelineRefund(
                at=at,
                kind=kind,
                summary=f"Refund of {entry.amount} on order {entry.order_number}",
                refund_id=strawberry.ID(entry.id),
                order_id=strawberry.ID(str(entry.order_id)),
                order_number=entry.order_number,
                amount=Money(entry.amount),
                reason=entry.reason,
            )
        case timeline.CreditEntry():
            return TimelineCredit(
                at=at,
                kind=kind,
                summary=f"Credit {entry.credit_kind} {_amount(entry.amount)}",
                entry_id=strawberry.ID(entry.id),
                credit_kind=entry.credit_kind,
                amount=Money(entry.amount),
                expires_at=entry.expires_at,
                note=entry.note,
            )
        case timeline.MessageEntry():
            body = entry.body if len(entry.body) <= SUMMARY_BODY else f"{entry.body[: SUMMARY_BODY - 1]}…"
            return TimelineMessage(
                at=at,
                kind=kind,
                summary=f"SMS ({entry.status}): {body}",
                message_id=strawberry.ID(entry.id),
                body=entry.body,
                parts=entry.parts,
                status=entry.status,
            )
        case timeline.AutomationRunEntry():
            return TimelineAutomationRun(
                at=at,
                kind=kind,
                summary=f"Automation {entry.automation_name} ({entry.state})",
                run_id=strawberry.ID(entry.id),
                automation_id=strawberry.ID(str(entry.automation_id)),
                automation_name=entry.automation_name,
                state=AutomationRunState(entry.state),
            )
        case timeline.SegmentEntry():
            verb = "Entered" if entry.kind == "segment_entered" else "Left"
            return TimelineSegment(
                at=at,
                kind=kind,
                summary=f"{verb} segment {entry.segment_name}",
                membership_id=strawberry.ID(entry.id),
                segment_id=strawberry.ID(str(entry.segment_id)),
                segment_name=entry.segment_name,
            )


async def customer_timeline(
    tenant_id: UUID,
    customer_id: UUID,
    *,
    first: int | None,
    after: str | None,
    kinds: list[TimelineKind] | None,
    cap: int,
) -> TimelineConnection:
    """One page of the customer's timeline (one statement), after ``after``, of ``kinds`` (all when None)."""
    size = page_size(first, cap=cap)
    entries = await timeline.page(
        tenant_id=tenant_id,
        customer_id=customer_id,
        limit=size + 1,  # one more, to know whether another page follows
        after=decode_cursor(after) if after else None,
        kinds=timeline.KINDS if kinds is None else [kind.value for kind in kinds],
    )
    edges = [
        TimelineEdge(cursor=encode_cursor(entry.position), node=_node(entry)) for entry in entries[:size]
    ]
    return TimelineConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(entries) > size, end_cursor=edges[-1].cursor if edges else None),
    )
