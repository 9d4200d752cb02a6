"""Keeping segment memberships true: one statement per segment computes who belongs, closes the stays
of those who no longer do and opens stays for newcomers, and answers who entered and who left.

A full refresh (``customer_ids=None``) reconsiders every customer of the store and records the size in
the segment's history; an incremental one reconsiders only the customers a batch of events touched.
Segments defined by other segments (``in_segment``) are refreshed after them. Each refresh locks its
segment's row, so a nightly refresh and a batch of events never open the same stay twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.events.domain_events import DomainEvent, SegmentEntered, SegmentLeft
from domain.intelligence import bgnbd
from domain.intelligence.store import load
from domain.segments.compiler import Clock, Compiler, Scope
from domain.segments.definition import Definition, parse
from domain.segments.models import Segment
from domain.tenancy.models import Tenant

# The difference between who should be in and who is in is a FULL JOIN: PostgreSQL runs it as a hash or
# merge join whatever its estimates (never a nested loop), so a refresh costs members + matches, not
# their product, even right after a bulk load when the memberships have no statistics yet.
_REFRESH = """
WITH wanted AS MATERIALIZED (
    SELECT c.id FROM customers AS c WHERE c.tenant_id = $1 {scope} AND {condition}
), present AS MATERIALIZED (
    SELECT m.id AS stay, m.customer_id FROM segment_memberships AS m
    WHERE m.tenant_id = $1 AND m.segment_id = {segment} AND m.left_at IS NULL {member_scope}
), moves AS MATERIALIZED (
    SELECT w.id AS entering, p.stay AS leaving
    FROM wanted AS w FULL JOIN present AS p ON p.customer_id = w.id
    WHERE w.id IS NULL OR p.customer_id IS NULL
), gone AS (
    -- each closed stay by its key: a look-up per leaver, never a scan of the segment's stays
    UPDATE segment_memberships AS m SET left_at = {now}
    FROM moves
    WHERE m.tenant_id = $1 AND m.id = moves.leaving
    RETURNING m.customer_id
), came AS (
    INSERT INTO segment_memberships (tenant_id, segment_id, customer_id, entered_at)
    SELECT $1, {segment}, moves.entering, {now} FROM moves WHERE moves.entering IS NOT NULL
    RETURNING customer_id
)
SELECT (SELECT array_agg(customer_id) FROM came) AS entered,
       (SELECT array_agg(customer_id) FROM gone) AS left,
       (SELECT count(*) FROM wanted) AS wanted
"""

# Each refresh locks its segments' rows (in one order, so two refreshes never deadlock): a nightly
# refresh and a batch of events never open the same stay twice.
_LOCK = "SELECT id FROM segments WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE"

_SIZES = """
UPDATE segments AS s SET member_count = {size}, refreshed_at = $2, updated_at = now()
FROM unnest($3::uuid[], $4::int[]) AS u(id, figure)
WHERE s.tenant_id = $1 AND s.id = u.id
"""
_HISTORY = """
INSERT INTO segment_sizes (tenant_id, segment_id, measured_at, size, entered, "left")
SELECT $1, u.id, $2, u.size, u.entered, u.left FROM unnest($3::uuid[], $4::int[], $5::int[], $6::int[])
    AS u(id, size, entered, "left")
"""


@dataclass(frozen=True)
class SegmentChange:
    """Who entered and who left one segment in one refresh, and its size after it."""

    segment_id: UUID
    entered: tuple[UUID, ...]
    left: tuple[UUID, ...]
    size: int


def announced(tenant_id: UUID, changes: Sequence[SegmentChange], *, at: datetime) -> list[DomainEvent]:
    """The ``segment.entered`` and ``segment.left`` events of these changes, for the handlers."""
    events: list[DomainEvent] = []
    for change in changes:
        events += [SegmentLeft(tenant_id, change.segment_id, customer, at) for customer in change.left]
        events += [SegmentEntered(tenant_id, change.segment_id, customer, at) for customer in change.entered]
    return events


async def refresh_segments(
    *,
    tenant_id: UUID,
    now: datetime,
    customer_ids: Sequence[UUID] | None = None,
    only: Sequence[UUID] | None = None,
) -> list[SegmentChange]:
    """Refresh the store's condition segments (or ``only`` these) for every customer, or only for
    ``customer_ids``. Runs in the caller's transaction; returns the changes in refresh order."""
    if customer_ids is not None and not customer_ids:
        return []
    segments = await _in_dependency_order(tenant_id, only)
    if not segments:
        return []
    connection = connections.get("default")
    [timezone] = await Tenant.filter(id=tenant_id).values_list("timezone", flat=True)
    clock = Clock(now=now, timezone=ZoneInfo(str(timezone)))
    model = (await load(connection, tenant_id=tenant_id)).parameters
    wanted = sorted(set(customer_ids)) if customer_ids is not None else None
    await connection.execute_query(_LOCK, [tenant_id, sorted(segment.id for segment, _ in segments)])
    changes = [
        await _refresh_one(connection, segment, definition, clock, model, wanted)
        for segment, definition in segments
    ]
    await _record_sizes(connection, tenant_id, changes, clock.now, full=wanted is None)
    return changes


async def _refresh_one(
    connection: BaseDBAsyncClient,
    segment: Segment,
    definition: Definition,
    clock: Clock,
    model: bgnbd.Parameters,
    customer_ids: list[UUID] | None,
) -> SegmentChange:
    tenant_id = segment.tenant_id  # type: ignore[attr-defined]
    compiler = Compiler(tenant_id, clock, Scope.ALL if customer_ids is None else Scope.SOME, model)
    condition = compiler.condition(definition)
    parameters = compiler.parameters
    now, segment_param = parameters.add(clock.now, "timestamptz"), parameters.add(segment.id, "uuid")
    scope = member_scope = ""
    if customer_ids is not None:
        ids = parameters.add(customer_ids, "uuid[]")
        scope, member_scope = f"AND c.id = ANY({ids})", f"AND m.customer_id = ANY({ids})"
    sql = _REFRESH.format(
        scope=scope, condition=condition, now=now, segment=segment_param, member_scope=member_scope
    )
    row: dict[str, Any] = (await connection.execute_query_dict(sql, parameters.values))[0]
    entered, left = tuple(row["entered"] or ()), tuple(row["left"] or ())
    full = customer_ids is None
    size = int(row["wanted"]) if full else segment.member_count + len(entered) - len(left)
    return SegmentChange(segment.id, entered, left, size)


async def _record_sizes(
    connection: BaseDBAsyncClient, tenant_id: UUID, changes: list[SegmentChange], now: datetime, *, full: bool
) -> None:
    """Sizes after a full refresh (and a line of history each); after a partial one, the moves."""
    if full:
        ids, sizes = [c.segment_id for c in changes], [c.size for c in changes]
        await connection.execute_query(_SIZES.format(size="u.figure"), [tenant_id, now, ids, sizes])
        entered, left = [len(c.entered) for c in changes], [len(c.left) for c in changes]
        await connection.execute_query(_HISTORY, [tenant_id, now, ids, sizes, entered, left])
        return
    moved = [change for change in changes if change.entered or change.left]
    if moved:
        deltas = [len(c.entered) - len(c.left) for c in moved]
        await connection.execute_query(
            _SIZES.format(size="s.member_count + u.figure"),
            [tenant_id, now, [c.segment_id for c in moved], deltas],
        )


async def _in_dependency_order(
    tenant_id: UUID, only: Sequence[UUID] | None
) -> list[tuple[Segment, Definition]]:
    """The store's condition segments, each after the segments its definition names."""
    query = Segment.filter(tenant_id=tenant_id, kind__in=("dynamic", "builtin")).order_by("created_at", "id")
    rows = await query
    parsed = {segment.id: (segment, parse(segment.definition)) for segment in rows if segment.definition}
    wanted = set(only) if only is not None else set(parsed)
    ordered: list[tuple[Segment, Definition]] = []
    placed: set[UUID] = set()

    def place(segment_id: UUID, path: frozenset[UUID]) -> None:
        if segment_id in placed or segment_id not in parsed or segment_id in path:
            return
        segment, definition = parsed[segment_id]
        for needed in sorted(definition.segments_used()):
            place(needed, path | {segment_id})
        placed.add(segment_id)
        if segment_id in wanted:
            ordered.append((segment, definition))

    for segment_id in parsed:
        place(segment_id, frozenset())
    return ordered
