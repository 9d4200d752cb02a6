"""Keeping segment memberships true: one statement per segment closes the stays of those who no longer
belong, opens stays for newcomers, and answers who entered and who left.

A full refresh (``customer_ids=None``) reconsiders every customer of the store — reading the customers
once for all the segments of one dependency level — and records each size in the segment's history;
an incremental one reconsiders only the customers a batch of events touched, looked up by key.
Segments defined by other segments (``in_segment``) are refreshed after them. A refresh locks its
segments' rows, so a nightly refresh and a batch of events never open the same stay twice.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.events.domain_events import DomainEvent, SegmentEntered, SegmentLeft
from domain.intelligence import bgnbd
from domain.intelligence.store import StoreModel, load
from domain.segments.compiler import Clock, Compiler, Parameters, Scope
from domain.segments.definition import Definition, parse
from domain.segments.models import Segment
from domain.tenancy.models import Tenant

# The difference between who should be in and who is in is a FULL JOIN: PostgreSQL runs it as a hash or
# merge join whatever its estimates (never a nested loop), so a refresh costs members + matches, not
# their product, even right after a bulk load when the memberships have no statistics yet.
_REFRESH = """
WITH wanted AS MATERIALIZED (
    {wanted}
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

_WANTED_SOME = "SELECT c.id FROM customers AS c WHERE c.tenant_id = $1 AND c.id = ANY({ids}) AND {condition}"

# A whole-store refresh reads the customers once for all the segments of one dependency level: each
# segment's members become one array of a one-row temporary table, which its refresh statement unnests.
_PASS = (
    "CREATE TEMP TABLE {table} ON COMMIT DROP AS SELECT {members} FROM customers AS c WHERE c.tenant_id = $1"
)
_passes = itertools.count(1)

NO_JIT = "SET LOCAL jit = off"
"""Compiling a statement of many conditions to machine code took longer than running it (8 of 16 s for
one pass over a million customers); the rest of the transaction is short statements, which JIT never
helps."""

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
    model: StoreModel | None = None,
    timezone: str | None = None,
) -> list[SegmentChange]:
    """Refresh the store's condition segments (or ``only`` these) for every customer, or only for
    ``customer_ids``. Runs in the caller's transaction; returns the changes in refresh order.

    ``model`` and ``timezone`` are the store's, read here when the caller does not have them already."""
    if customer_ids is not None and not customer_ids:
        return []
    segments = await _in_dependency_order(tenant_id, only)
    if not segments:
        return []
    if timezone is None:
        timezone = str((await Tenant.get(id=tenant_id)).timezone)
    clock = Clock(now=now, timezone=ZoneInfo(timezone))
    wanted = sorted(set(customer_ids)) if customer_ids is not None else None
    # One connection throughout (a savepoint inside the caller's transaction): the temporary tables of
    # a whole-store refresh live in it.
    async with in_transaction() as connection:
        await connection.execute_query(NO_JIT)
        parameters = (model or await load(connection, tenant_id=tenant_id)).parameters
        await lock_segments(connection, tenant_id, [segment.id for segment, _ in segments])
        if wanted is None:
            changes = []
            for level in _levels(segments):
                changes += await _refresh_level(connection, tenant_id, level, clock, parameters)
        else:
            changes = [
                await _refresh_some(connection, segment, definition, clock, parameters, wanted)
                for segment, definition in segments
            ]
        await _record_sizes(connection, tenant_id, changes, clock.now, full=wanted is None)
    return changes


async def lock_segments(connection: BaseDBAsyncClient, tenant_id: UUID, segment_ids: Sequence[UUID]) -> None:
    """Hold these segments' rows until the transaction ends, taken in one order (no deadlock)."""
    await connection.execute_query(_LOCK, [tenant_id, sorted(segment_ids)])


async def _refresh_level(
    connection: BaseDBAsyncClient,
    tenant_id: UUID,
    level: list[tuple[Segment, Definition]],
    clock: Clock,
    model: bgnbd.Parameters,
) -> list[SegmentChange]:
    """Segments that do not depend on each other, for every customer: one read of the customers."""
    compiler = Compiler(tenant_id, clock, Scope.ALL, model)
    members = ", ".join(
        f"array_agg(c.id) FILTER (WHERE {compiler.condition(definition)}) AS m{index}"
        for index, (_, definition) in enumerate(level)
    )
    table = f"segment_pass_{next(_passes)}"  # a fixed name and a counter: nothing from a definition
    await connection.execute_query(_PASS.format(table=table, members=members), compiler.parameters.values)
    changes: list[SegmentChange] = []
    for index, (segment, _) in enumerate(level):
        parameters = Parameters()
        parameters.add(tenant_id, "uuid")
        now, segment_param = parameters.add(clock.now, "timestamptz"), parameters.add(segment.id, "uuid")
        wanted = f"SELECT unnest(found.m{index}) AS id FROM {table} AS found"
        sql = _REFRESH.format(wanted=wanted, now=now, segment=segment_param, member_scope="")
        row: dict[str, Any] = (await connection.execute_query_dict(sql, parameters.values))[0]
        entered, left = tuple(row["entered"] or ()), tuple(row["left"] or ())
        changes.append(SegmentChange(segment.id, entered, left, int(row["wanted"])))
    await connection.execute_query(f"DROP TABLE {table}")
    return changes


async def _refresh_some(
    connection: BaseDBAsyncClient,
    segment: Segment,
    definition: Definition,
    clock: Clock,
    model: bgnbd.Parameters,
    customer_ids: list[UUID],
) -> SegmentChange:
    """One segment for the customers a batch touched, each looked up by key."""
    tenant_id = segment.tenant_id  # type: ignore[attr-defined]
    compiler = Compiler(tenant_id, clock, Scope.SOME, model)
    condition = compiler.condition(definition)
    parameters = compiler.parameters
    now, segment_param = parameters.add(clock.now, "timestamptz"), parameters.add(segment.id, "uuid")
    ids = parameters.add(customer_ids, "uuid[]")
    sql = _REFRESH.format(
        wanted=_WANTED_SOME.format(ids=ids, condition=condition),
        now=now,
        segment=segment_param,
        member_scope=f"AND m.customer_id = ANY({ids})",
    )
    row: dict[str, Any] = (await connection.execute_query_dict(sql, parameters.values))[0]
    entered, left = tuple(row["entered"] or ()), tuple(row["left"] or ())
    return SegmentChange(segment.id, entered, left, segment.member_count + len(entered) - len(left))


def _levels(segments: list[tuple[Segment, Definition]]) -> list[list[tuple[Segment, Definition]]]:
    """The segments (in dependency order) grouped so that none depends on another of its group."""
    depth: dict[UUID, int] = {}
    levels: list[list[tuple[Segment, Definition]]] = []
    for segment, definition in segments:
        needed = [depth[other] for other in definition.segments_used() if other in depth]
        depth[segment.id] = 1 + max(needed) if needed else 0
        while len(levels) <= depth[segment.id]:
            levels.append([])
        levels[depth[segment.id]].append((segment, definition))
    return levels


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
