"""Segments as the owner edits them: create, update, delete, and the members of static lists.

A condition segment is refreshed as soon as it is created or its conditions change, so its members
are there when the call returns. Creating the same segment twice (same name, same definition) is
answered with the segment the first call made, so a client may retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.automation.models import Automation
from domain.customers.models import Customer
from domain.errors import DomainError, NotFound
from domain.segments.definition import Definition, parse
from domain.segments.models import Segment
from domain.segments.refresh import lock_segments, refresh_segments
from domain.text import identifier_problem

MAX_NAME: Final = 120
MAX_DESCRIPTION: Final = 500
MAX_MEMBERS_PER_CALL: Final = 10_000


async def get(*, tenant_id: UUID, segment_id: UUID) -> Segment:
    segment = await Segment.get_or_none(tenant_id=tenant_id, id=segment_id)
    if segment is None:
        raise NotFound("Segment")
    return segment


async def create(
    *,
    tenant_id: UUID,
    name: str,
    definition: object | None,
    description: str = "",
    now: datetime,
) -> Segment:
    """A condition segment (``definition``) or, with None, an empty static list. Runs in the caller's
    transaction; a condition segment's members are computed before it returns."""
    name, description = _name(name), _description(description)
    parsed = (
        await validated(tenant_id=tenant_id, raw=definition, segment_id=None)
        if definition is not None
        else None
    )
    stored = parsed.as_json() if parsed else None
    kind = "dynamic" if parsed else "static"
    earlier = await Segment.get_or_none(tenant_id=tenant_id, name=name)
    if earlier is not None:
        return _same_or_refuse(earlier, kind, stored)
    try:
        async with in_transaction():  # a savepoint: a lost race leaves the caller's transaction usable
            segment = await Segment.create(
                tenant_id=tenant_id, name=name, description=description, kind=kind, definition=stored
            )
    except IntegrityError:  # a concurrent request made it first
        return _same_or_refuse(await Segment.get(tenant_id=tenant_id, name=name), kind, stored)
    if parsed:
        await refresh_segments(tenant_id=tenant_id, now=now, only=[segment.id])
        await segment.refresh_from_db()
    return segment


async def update(
    *,
    tenant_id: UUID,
    segment_id: UUID,
    now: datetime,
    name: str | None = None,
    description: str | None = None,
    definition: object | None = None,
) -> Segment:
    """Rename, describe or redefine a segment; a new definition is a new revision, refreshed at once.
    Built-in segments take a new name or description but keep their conditions."""
    segment = await get(tenant_id=tenant_id, segment_id=segment_id)
    if name is not None:
        segment.name = _name(name)
        clash = await Segment.filter(tenant_id=tenant_id, name=segment.name).exclude(id=segment.id).exists()
        if clash:
            raise DomainError("NAME_TAKEN", "Another segment has that name.", field="name")
    if description is not None:
        segment.description = _description(description)
    redefined = False
    if definition is not None:
        if segment.kind != "dynamic":
            raise DomainError(
                "NOT_EDITABLE",
                "Only condition segments take new conditions: built-in segments follow the store's "
                "purchase cycle and static lists take members.",
                field="definition",
            )
        stored = (await validated(tenant_id=tenant_id, raw=definition, segment_id=segment.id)).as_json()
        redefined = stored != segment.definition
        if redefined:
            segment.definition, segment.revision = stored, segment.revision + 1
    await segment.save()
    if redefined:
        await refresh_segments(tenant_id=tenant_id, now=now, only=[segment.id])
        await segment.refresh_from_db()
    return segment


async def delete(*, tenant_id: UUID, segment_id: UUID) -> None:
    """Delete a segment and its history; refused while anything is defined by it."""
    segment = await get(tenant_id=tenant_id, segment_id=segment_id)
    if segment.kind == "builtin":
        raise DomainError("BUILTIN", "Built-in segments cannot be deleted.", field="id")
    users = await users_of(tenant_id=tenant_id, segment_id=segment.id)
    if users:
        raise DomainError(
            "IN_USE", f"The segment is used by {'; '.join(users)}. Change those first.", field="id"
        )
    await segment.delete()


async def users_of(*, tenant_id: UUID, segment_id: UUID) -> list[str]:
    """What is defined by this segment: other segments, automations, and campaigns not yet completed or
    cancelled (by kind and name)."""
    needle = str(segment_id)
    connection = connections.get("default")
    rows = await connection.execute_query_dict(
        "SELECT name FROM segments WHERE tenant_id = $1 AND id <> $2 AND strpos(definition::text, $3) > 0"
        " ORDER BY name",
        [tenant_id, segment_id, needle],
    )
    found = [f"segment “{row['name']}”" for row in rows]
    automations = await Automation.filter(tenant_id=tenant_id).values_list("name", "definition")
    found += [f"automation “{name}”" for name, body in automations if needle in str(body)]
    campaigns = await connection.execute_query_dict(
        "SELECT name FROM campaigns WHERE tenant_id = $1 AND status = ANY($2::text[])"
        " AND (include_segment_ids @> $3::jsonb OR exclude_segment_ids @> $3::jsonb) ORDER BY name",
        [tenant_id, ["draft", "scheduled", "sending", "paused"], f'["{needle}"]'],
    )
    found += [f"campaign “{row['name']}”" for row in campaigns]
    return found


async def add_members(
    *, tenant_id: UUID, segment_id: UUID, customer_ids: Sequence[UUID], now: datetime
) -> int:
    """Put customers in a static list; returns how many were not in it already. Idempotent."""
    segment = await _static(tenant_id, segment_id, customer_ids)
    wanted = sorted(set(customer_ids))
    known = await Customer.filter(tenant_id=tenant_id, id__in=wanted).count()
    if known != len(wanted):
        raise NotFound("Customer", field="customerIds")
    return await put_members(segment, wanted, now=now)


async def put_members(segment: Segment, customer_ids: list[UUID], *, now: datetime) -> int:
    """Open a stay in the static list for each of these customers of its store not in it already."""
    if segment.kind != "static":
        raise DomainError("NOT_STATIC", "Only static lists take members by hand.", field="id")
    tenant_id = segment.tenant_id  # type: ignore[attr-defined]
    connection = connections.get("default")
    await lock_segments(connection, tenant_id, [segment.id])
    added = await connection.execute_query_dict(
        "INSERT INTO segment_memberships (tenant_id, segment_id, customer_id, entered_at)"
        " SELECT $1, $2, t.id, $4 FROM unnest($3::uuid[]) AS t(id)"
        " ON CONFLICT (tenant_id, segment_id, customer_id) WHERE left_at IS NULL DO NOTHING RETURNING 1",
        [tenant_id, segment.id, customer_ids, now],
    )
    await _recount(segment, now)
    return len(added)


async def remove_members(
    *, tenant_id: UUID, segment_id: UUID, customer_ids: Sequence[UUID], now: datetime
) -> int:
    """Take customers out of a static list; returns how many were in it. Idempotent."""
    segment = await _static(tenant_id, segment_id, customer_ids)
    connection = connections.get("default")
    removed = await connection.execute_query_dict(
        "UPDATE segment_memberships SET left_at = $4 WHERE tenant_id = $1 AND segment_id = $2"
        " AND customer_id = ANY($3::uuid[]) AND left_at IS NULL RETURNING 1",
        [tenant_id, segment.id, sorted(set(customer_ids)), now],
    )
    await _recount(segment, now)
    return len(removed)


async def _recount(segment: Segment, now: datetime) -> None:
    connection = connections.get("default")
    await connection.execute_query(
        "UPDATE segments SET member_count = (SELECT count(*) FROM segment_memberships AS m"
        " WHERE m.tenant_id = $1 AND m.segment_id = $2 AND m.left_at IS NULL),"
        " refreshed_at = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2",
        [segment.tenant_id, segment.id, now],  # type: ignore[attr-defined]
    )


async def _static(tenant_id: UUID, segment_id: UUID, customer_ids: Sequence[UUID]) -> Segment:
    segment = await get(tenant_id=tenant_id, segment_id=segment_id)
    if segment.kind != "static":
        raise DomainError("NOT_STATIC", "Only static lists take members by hand.", field="id")
    if not customer_ids:
        raise DomainError("INVALID", "Name at least one customer.", field="customerIds")
    if len(customer_ids) > MAX_MEMBERS_PER_CALL:
        raise DomainError(
            "TOO_MANY", f"At most {MAX_MEMBERS_PER_CALL} customers per call.", field="customerIds"
        )
    return segment


def _same_or_refuse(earlier: Segment, kind: str, stored: dict[str, Any] | None) -> Segment:
    if earlier.kind == kind and earlier.definition == stored:
        return earlier
    raise DomainError("NAME_TAKEN", "Another segment has that name.", field="name")


async def validated(*, tenant_id: UUID, raw: object, segment_id: UUID | None) -> Definition:
    """Validate a definition and the segments it names: the store's own, and no cycle through this one."""
    parsed = parse(raw)
    named = parsed.segments_used()
    if not named:
        return parsed
    if segment_id in named:
        raise DomainError("INVALID_SEGMENT", "A segment cannot be defined by itself.", field="definition")
    rows = {segment.id: segment for segment in await Segment.filter(tenant_id=tenant_id)}
    missing = named - set(rows)
    if missing:
        raise DomainError("INVALID_SEGMENT", f"Segment {sorted(missing)[0]} not found.", field="definition")
    if segment_id is not None and _reaches(rows, named, segment_id):
        raise DomainError(
            "INVALID_SEGMENT", "The segments named are themselves defined by this one.", field="definition"
        )
    return parsed


def _reaches(rows: dict[UUID, Segment], start: set[UUID], target: UUID) -> bool:
    """Whether following ``in_segment`` links from ``start`` arrives at ``target``."""
    seen: set[UUID] = set()
    stack = list(start)
    while stack:
        current = stack.pop()
        if current == target:
            return True
        if current in seen or current not in rows or not rows[current].definition:
            continue
        seen.add(current)
        stack.extend(parse(rows[current].definition).segments_used())
    return False


def _name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME:
        raise DomainError("INVALID", f"A name has 1 to {MAX_NAME} characters.", field="name")
    problem = identifier_problem(cleaned)
    if problem:
        raise DomainError("INVALID", problem, field="name")
    return cleaned


def _description(description: str) -> str:
    cleaned = description.strip()
    if len(cleaned) > MAX_DESCRIPTION:
        raise DomainError(
            "INVALID", f"A description has at most {MAX_DESCRIPTION} characters.", field="description"
        )
    problem = identifier_problem(cleaned) if cleaned else None
    if problem:
        raise DomainError("INVALID", problem, field="description")
    return cleaned
