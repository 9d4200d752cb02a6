"""Journeys (automations) an owner configures, their versions and runs. Every call is scoped to one
tenant; callers own the transaction.

A journey's status moves ``draft → active ⇄ paused``; only active journeys enrol customers (runs
already enrolled carry on while it is paused). Every saved definition is a version: creating writes
version 1, each edit of the definition the next one (``automation_versions``). A run keeps the version
it was enrolled with until the owner migrates the journey's open runs to the newest one
(:func:`migrate_runs`).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from tortoise import Tortoise
from tortoise.queryset import QuerySet

from domain.automation.definition import JourneyDefinition, parse
from domain.automation.models import Automation, AutomationRun, AutomationStepEvent, AutomationVersion
from domain.coupons.models import CouponTemplate
from domain.errors import DomainError, NotFound
from domain.segments.models import Segment

DRAFT: Final = "draft"
ACTIVE: Final = "active"
PAUSED: Final = "paused"
OPEN_STATES: Final = ("pending", "waiting")
MIGRATED: Final = "migrated"

_MAX_NAME = 200


async def validated(*, tenant_id: UUID, raw: object) -> JourneyDefinition:
    """``raw`` (decoded JSON) as a definition whose segments and coupon templates are the store's.

    ``INVALID_DEFINITION`` names the path of the first bad field; an unknown (or another store's)
    segment or template is ``NOT_FOUND`` at its path."""
    definition = parse(raw)
    await check_references(tenant_id=tenant_id, definition=definition)
    return definition


async def check_references(*, tenant_id: UUID, definition: JourneyDefinition) -> None:
    """Every segment and coupon template the definition names exists in the store (one query each)."""
    segments = definition.segments_used()
    if segments:
        known = set(await Segment.filter(tenant_id=tenant_id, id__in=segments).values_list("id", flat=True))
        if segments - known:
            raise DomainError("NOT_FOUND", "A segment the journey names does not exist.", field="definition")
    templates = definition.coupon_templates_used()
    if templates:
        rows = await CouponTemplate.filter(tenant_id=tenant_id, id__in=templates).values("id", "archived_at")
        found = {row["id"]: row["archived_at"] for row in rows}
        for index, step in enumerate(definition.steps):
            template_id = getattr(step, "template_id", None)
            if template_id is None:
                continue
            where = f"definition.steps.{index}.template_id"
            if template_id not in found:
                raise DomainError("NOT_FOUND", "No such coupon template.", field=where)
            if found[template_id] is not None:
                raise DomainError("TEMPLATE_ARCHIVED", "The coupon template is archived.", field=where)


async def create(*, tenant_id: UUID, name: str, definition: JourneyDefinition) -> Automation:
    """A new journey in ``draft``, version 1. It enrols nobody until activated."""
    automation = await Automation.create(
        tenant_id=tenant_id,
        name=_clean_name(name),
        status=DRAFT,
        trigger=definition.trigger_key,
        definition=definition.to_json(),
        version=1,
    )
    await AutomationVersion.create(
        tenant_id=tenant_id, automation_id=automation.id, version=1, definition=automation.definition
    )
    return automation


async def update(
    *,
    tenant_id: UUID,
    automation_id: UUID,
    name: str | None = None,
    definition: JourneyDefinition | None = None,
) -> Automation:
    """Rename a journey and/or save a new definition. A definition that differs from the newest
    version becomes the next version; the same one again changes nothing (a retried save)."""
    automation = await _locked(tenant_id=tenant_id, automation_id=automation_id)
    if name is not None:
        automation.name = _clean_name(name)
    if definition is not None and definition.to_json() != _normalised(automation.definition):
        automation.definition = definition.to_json()
        automation.trigger = definition.trigger_key
        automation.version += 1
        await AutomationVersion.create(
            tenant_id=tenant_id,
            automation_id=automation.id,
            version=automation.version,
            definition=automation.definition,
        )
    await automation.save()
    return automation


async def activate(*, tenant_id: UUID, automation_id: UUID, now: datetime) -> Automation:
    """Start enrolling customers: a draft or paused journey becomes active."""
    return await _move(tenant_id=tenant_id, automation_id=automation_id, to=ACTIVE, now=now)


async def pause(*, tenant_id: UUID, automation_id: UUID, now: datetime) -> Automation:
    """Stop enrolling customers (runs already enrolled carry on): an active journey becomes paused."""
    return await _move(tenant_id=tenant_id, automation_id=automation_id, to=PAUSED, now=now)


async def get(*, tenant_id: UUID, automation_id: UUID) -> Automation:
    """The tenant's journey, or ``NOT_FOUND`` (which is also what another tenant's looks like)."""
    automation = await Automation.get_or_none(id=automation_id, tenant_id=tenant_id)
    if automation is None:
        raise NotFound("Automation")
    return automation


def list(*, tenant_id: UUID, status: str | None = None) -> QuerySet[Automation]:
    """The tenant's journeys, optionally only those in ``status``."""
    queryset = Automation.filter(tenant_id=tenant_id)
    return queryset.filter(status=status) if status else queryset


def list_runs(
    *, tenant_id: UUID, automation_id: UUID | None = None, state: str | None = None
) -> QuerySet[AutomationRun]:
    """The tenant's runs, optionally of one journey and/or in one state."""
    queryset = AutomationRun.filter(tenant_id=tenant_id)
    if automation_id is not None:
        queryset = queryset.filter(automation_id=automation_id)
    return queryset.filter(state=state) if state else queryset


def list_versions(*, tenant_id: UUID, automation_id: UUID) -> QuerySet[AutomationVersion]:
    """The journey's versions, newest first."""
    return AutomationVersion.filter(tenant_id=tenant_id, automation_id=automation_id).order_by("-version")


def step_events(*, tenant_id: UUID, run_id: UUID) -> QuerySet[AutomationStepEvent]:
    """What each step of a run did, in order."""
    return AutomationStepEvent.filter(tenant_id=tenant_id, run_id=run_id).order_by("occurred_at", "id")


@dataclass(frozen=True)
class Migration:
    """What :func:`migrate_runs` did: runs moved to the newest version, and runs that exited because
    none of their remaining steps exists in it."""

    version: int
    moved: int
    exited: int


_OPEN_POSITIONS = """
SELECT automation_version, current_step_id, count(*) AS runs FROM automation_runs
WHERE tenant_id = $1 AND automation_id = $2 AND state IN ('pending', 'waiting') AND automation_version < $3
GROUP BY automation_version, current_step_id
"""
_MOVE = """
UPDATE automation_runs AS r SET automation_version = $3, current_step_id = u.target,
    current_step = u.position, context = r.context - 'definition', updated_at = $4
FROM unnest($5::int[], $6::text[], $7::text[], $8::int[]) AS u(version, step_id, target, position)
WHERE r.tenant_id = $1 AND r.automation_id = $2 AND r.state IN ('pending', 'waiting')
  AND r.automation_version = u.version AND r.current_step_id IS NOT DISTINCT FROM u.step_id
"""
_EXIT = """
WITH gone AS (
    UPDATE automation_runs AS r SET state = 'exited', exit_reason = 'migrated', current_step_id = NULL,
        finished_at = $4, updated_at = $4
    FROM unnest($5::int[], $6::text[]) AS u(version, step_id)
    WHERE r.tenant_id = $1 AND r.automation_id = $2 AND r.state IN ('pending', 'waiting')
      AND r.automation_version = u.version AND r.current_step_id IS NOT DISTINCT FROM u.step_id
    RETURNING r.id, r.automation_version, u.step_id
)
INSERT INTO automation_step_events (tenant_id, automation_id, run_id, automation_version, step_id,
    step_type, outcome, occurred_at, credit_amount, note)
SELECT $1, $2, id, automation_version, COALESCE(step_id, ''), '', 'exited', $4, 0,
    'Migrated to version ' || $3::int || ', which has none of the remaining steps.'
FROM gone
"""


async def migrate_runs(*, tenant_id: UUID, automation_id: UUID, now: datetime) -> Migration:
    """Move the journey's open runs to its newest version, mapped by step id.

    A run whose next step exists in the newest version goes on from it. One whose next step is gone
    goes on from the first of its version's later steps that the newest version has; when none is
    left, the run exits with reason ``migrated``. A waiting run keeps its due time. Set-based: one
    statement moves and one exits, whatever the number of runs; a repeated call finds nothing to do.
    """
    automation = await _locked(tenant_id=tenant_id, automation_id=automation_id)
    newest = JourneyDefinition.model_validate(automation.definition)
    connection = Tortoise.get_connection("default")
    positions = await connection.execute_query_dict(
        _OPEN_POSITIONS, [tenant_id, automation_id, automation.version]
    )
    old_versions = await _definitions(
        tenant_id, automation_id, {int(row["automation_version"]) for row in positions}
    )
    moves: builtins.list[tuple[int, str | None, str, int]] = []
    exits: builtins.list[tuple[int, str | None]] = []
    moved = exited = 0
    for row in positions:
        version, step_id, runs = int(row["automation_version"]), row["current_step_id"], int(row["runs"])
        target = _target(old_versions.get(version), newest, step_id)
        if target is None:
            exits.append((version, step_id))
            exited += runs
        else:
            moves.append((version, step_id, target, newest.step_index(target) or 0))
            moved += runs
    if moves:
        await connection.execute_query(
            _MOVE, [tenant_id, automation_id, automation.version, now, *_columns(moves)]
        )
    if exits:
        await connection.execute_query(
            _EXIT, [tenant_id, automation_id, automation.version, now, *_columns(exits)]
        )
    return Migration(automation.version, moved, exited)


def _columns(rows: Sequence[tuple[object, ...]]) -> Iterator[Sequence[object]]:
    """Rows as columns, for ``unnest`` (this module's ``list`` is the service function)."""
    return ([*column] for column in zip(*rows, strict=True))


def _target(old: JourneyDefinition | None, newest: JourneyDefinition, step_id: str | None) -> str | None:
    """The step of ``newest`` a run of ``old`` standing before ``step_id`` goes on from, or None."""
    if step_id is not None and newest.step_index(step_id) is not None:
        return step_id
    if old is None or step_id is None:
        return None
    start = old.step_index(step_id)
    if start is None:
        return None
    for later in old.steps[start + 1 :]:
        if newest.step_index(later.id) is not None:
            return later.id
    return None


async def _definitions(
    tenant_id: UUID, automation_id: UUID, versions: set[int]
) -> dict[int, JourneyDefinition]:
    rows = await AutomationVersion.filter(
        tenant_id=tenant_id, automation_id=automation_id, version__in=sorted(versions)
    ).values("version", "definition")
    return {int(row["version"]): JourneyDefinition.model_validate(row["definition"]) for row in rows}


_TRANSITIONS: Final = {(DRAFT, ACTIVE), (PAUSED, ACTIVE), (ACTIVE, PAUSED)}


async def _move(*, tenant_id: UUID, automation_id: UUID, to: str, now: datetime) -> Automation:
    automation = await _locked(tenant_id=tenant_id, automation_id=automation_id)
    if (automation.status, to) not in _TRANSITIONS:
        raise DomainError(
            "INVALID_STATE", f"An automation that is {automation.status} cannot become {to}.", field="id"
        )
    automation.status = to
    if to == ACTIVE:
        automation.activated_at = now
    await automation.save(update_fields=["status", "activated_at", "updated_at"])
    return automation


async def _locked(*, tenant_id: UUID, automation_id: UUID) -> Automation:
    automation = await Automation.select_for_update().get_or_none(id=automation_id, tenant_id=tenant_id)
    if automation is None:
        raise NotFound("Automation")
    return automation


def _normalised(stored: dict[str, object]) -> dict[str, object] | None:
    """A stored definition as this release writes it (a version-1 one upgraded), or None."""
    try:
        return JourneyDefinition.model_validate(stored).to_json()
    except ValueError:
        return None


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise DomainError("INVALID", "An automation needs a name.", field="name")
    if len(cleaned) > _MAX_NAME:
        raise DomainError("INVALID", f"A name has at most {_MAX_NAME} characters.", field="name")
    if "\x00" in cleaned:
        raise DomainError("INVALID", "A name may not contain the NUL character.", field="name")
    return cleaned
