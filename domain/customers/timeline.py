"""A customer's timeline: everything that happened to them, newest first, read in one statement.

The sources are the store's events processed about the customer, their orders and refunds, their credit
entries, the messages sent to them, their automation runs and their segment stays (entered, and left).
One ``UNION ALL`` reads them, each source through its (tenant_id, customer_id …) index, and pages it by
keyset on (at DESC, kind, id): a page after a :class:`Position` starts right after that entry, whatever
was added since, and never skips or repeats one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise import connections

KINDS = (
    "event",
    "order",
    "refund",
    "credit",
    "message",
    "automation_run",
    "segment_entered",
    "segment_left",
)
"""What a timeline entry can be, as the statement names it."""


@dataclass(frozen=True)
class Position:
    """Where an entry stands in the timeline, and what a page after it starts from."""

    at: datetime
    kind: str
    id: str
    """The source row's id as text (events and segment stays have numbers, the others UUIDs)."""


@dataclass(frozen=True)
class Entry:
    """What every entry has: when, what kind, and its place in the timeline."""

    at: datetime
    kind: str
    id: str

    @property
    def position(self) -> Position:
        return Position(at=self.at, kind=self.kind, id=self.id)


@dataclass(frozen=True)
class EventEntry(Entry):
    """An event the store sent about the customer, as processing left it."""

    type: str
    status: str


@dataclass(frozen=True)
class OrderEntry(Entry):
    """An order the customer placed; ``at`` is when it was placed."""

    order_id: UUID
    number: str
    status: str
    total: int


@dataclass(frozen=True)
class RefundEntry(Entry):
    """Money the store gave back on one of the customer's orders."""

    order_id: UUID
    order_number: str
    amount: int
    reason: str


@dataclass(frozen=True)
class CreditEntry(Entry):
    """A line of the customer's credit ledger: positive grants, negative spends and reversals."""

    credit_kind: str
    amount: int
    expires_at: datetime | None
    note: str


@dataclass(frozen=True)
class MessageEntry(Entry):
    """An SMS to the customer; ``at`` is when it was queued."""

    body: str
    parts: int
    status: str


@dataclass(frozen=True)
class AutomationRunEntry(Entry):
    """An enrolment of the customer in an automation; ``at`` is when it was made."""

    automation_id: UUID
    automation_name: str
    state: str


@dataclass(frozen=True)
class SegmentEntry(Entry):
    """The customer entering (kind ``segment_entered``) or leaving (``segment_left``) a segment."""

    segment_id: UUID
    segment_name: str


TimelineEntry = (
    EventEntry | OrderEntry | RefundEntry | CreditEntry | MessageEntry | AutomationRunEntry | SegmentEntry
)

# Every source fills the same columns: at, kind, id, then what it has of
#   label  (event type, order number, credit kind, message body, automation or segment name),
#   state  (event, order or message status, run state), amount (order total, refund, credit),
#   parts  (a message's SMS parts), until (a credit's expiry), ref (the order, automation or segment id),
#   note   (a refund's reason, a credit's note).
# $1 tenant, $2 customer, $3 the kinds wanted, $4..$6 the position to start after (null: the newest),
# $7 how many rows.
_PAGE = """
WITH entries AS (
    SELECT e.occurred_at AS at, 'event' AS kind, e.id::text AS id, e.type::text AS label,
           e.status::text AS state, NULL::bigint AS amount, NULL::int AS parts,
           NULL::timestamptz AS until, NULL::uuid AS ref, NULL::text AS note
    FROM ingested_events e
    WHERE e.tenant_id = $1 AND e.customer_id = $2 AND 'event' = ANY($3::text[])
    UNION ALL
    SELECT o.placed_at, 'order', o.id::text, o.number, o.status, o.total, NULL, NULL, o.id, NULL
    FROM orders o
    WHERE o.tenant_id = $1 AND o.customer_id = $2 AND 'order' = ANY($3::text[])
    UNION ALL
    SELECT r.refunded_at, 'refund', r.id::text, o.number, NULL, r.amount, NULL, NULL, o.id, r.reason
    FROM orders o JOIN refunds r ON r.tenant_id = o.tenant_id AND r.order_id = o.id
    WHERE o.tenant_id = $1 AND o.customer_id = $2 AND 'refund' = ANY($3::text[])
    UNION ALL
    SELECT c.created_at, 'credit', c.id::text, c.kind, NULL, c.amount, NULL, c.expires_at, NULL, c.note
    FROM credit_entries c
    WHERE c.tenant_id = $1 AND c.customer_id = $2 AND 'credit' = ANY($3::text[])
    UNION ALL
    SELECT m.created_at, 'message', m.id::text, m.body, m.status, NULL, m.parts, NULL, NULL, NULL
    FROM outbound_messages m
    WHERE m.tenant_id = $1 AND m.customer_id = $2 AND 'message' = ANY($3::text[])
    UNION ALL
    SELECT r.created_at, 'automation_run', r.id::text, a.name, r.state, NULL, NULL, NULL, a.id, NULL
    FROM automation_runs r JOIN automations a ON a.tenant_id = r.tenant_id AND a.id = r.automation_id
    WHERE r.tenant_id = $1 AND r.customer_id = $2 AND 'automation_run' = ANY($3::text[])
    UNION ALL
    SELECT m.entered_at, 'segment_entered', m.id::text, s.name, NULL, NULL, NULL, NULL, s.id, NULL
    FROM segment_memberships m JOIN segments s ON s.tenant_id = m.tenant_id AND s.id = m.segment_id
    WHERE m.tenant_id = $1 AND m.customer_id = $2 AND 'segment_entered' = ANY($3::text[])
    UNION ALL
    SELECT m.left_at, 'segment_left', m.id::text, s.name, NULL, NULL, NULL, NULL, s.id, NULL
    FROM segment_memberships m JOIN segments s ON s.tenant_id = m.tenant_id AND s.id = m.segment_id
    WHERE m.tenant_id = $1 AND m.customer_id = $2 AND m.left_at IS NOT NULL
      AND 'segment_left' = ANY($3::text[])
)
SELECT at, kind, id, label, state, amount, parts, until, ref, note
FROM entries
WHERE $4::timestamptz IS NULL OR at < $4 OR (at = $4 AND (kind, id) > ($5::text, $6::text))
ORDER BY at DESC, kind, id
LIMIT $7
"""


def _event(row: Mapping[str, Any]) -> EventEntry:
    return EventEntry(row["at"], row["kind"], row["id"], type=row["label"], status=row["state"])


def _order(row: Mapping[str, Any]) -> OrderEntry:
    return OrderEntry(
        row["at"],
        row["kind"],
        row["id"],
        order_id=row["ref"],
        number=row["label"],
        status=row["state"],
        total=row["amount"],
    )


def _refund(row: Mapping[str, Any]) -> RefundEntry:
    return RefundEntry(
        row["at"],
        row["kind"],
        row["id"],
        order_id=row["ref"],
        order_number=row["label"],
        amount=row["amount"],
        reason=row["note"],
    )


def _credit(row: Mapping[str, Any]) -> CreditEntry:
    return CreditEntry(
        row["at"],
        row["kind"],
        row["id"],
        credit_kind=row["label"],
        amount=row["amount"],
        expires_at=row["until"],
        note=row["note"],
    )


def _message(row: Mapping[str, Any]) -> MessageEntry:
    return MessageEntry(
        row["at"], row["kind"], row["id"], body=row["label"], parts=row["parts"], status=row["state"]
    )


def _automation_run(row: Mapping[str, Any]) -> AutomationRunEntry:
    return AutomationRunEntry(
        row["at"],
        row["kind"],
        row["id"],
        automation_id=row["ref"],
        automation_name=row["label"],
        state=row["state"],
    )


def _segment(row: Mapping[str, Any]) -> SegmentEntry:
    return SegmentEntry(row["at"], row["kind"], row["id"], segment_id=row["ref"], segment_name=row["label"])


_ENTRY_OF: dict[str, Callable[[Mapping[str, Any]], TimelineEntry]] = {
    "event": _event,
    "order": _order,
    "refund": _refund,
    "credit": _credit,
    "message": _message,
    "automation_run": _automation_run,
    "segment_entered": _segment,
    "segment_left": _segment,
}


async def page(
    *,
    tenant_id: UUID,
    customer_id: UUID,
    limit: int,
    after: Position | None = None,
    kinds: Collection[str] = KINDS,
) -> list[TimelineEntry]:
    """Up to ``limit`` entries of the customer's timeline, newest first, after ``after`` (from the newest
    when None), of the ``kinds`` asked for. One statement, whatever the page or the timeline's length.
    """
    start = [after.at, after.kind, after.id] if after else [None, None, None]
    rows = await connections.get("default").execute_query_dict(
        _PAGE, [tenant_id, customer_id, list(kinds), *start, limit]
    )
    return [_ENTRY_OF[row["kind"]](row) for row in rows]
