"""Checking the ids a client asks to replay: every one must be one of the store's own events."""

from __future__ import annotations

from uuid import UUID

from domain.errors import DomainError
from domain.events.models import IngestedEvent
from domain.events.schema import MAX_BATCH_SIZE

BIGINT_MAX = 2**63 - 1


def _as_number(value: str) -> int | None:
    cleaned = value.strip()
    if not (cleaned.isascii() and cleaned.isdigit()):
        return None
    number = int(cleaned)
    return number if 0 < number <= BIGINT_MAX else None


async def replayable_ids(tenant_id: UUID, ids: list[str]) -> list[int]:
    """The ids as numbers, once each; INVALID for none or too many, NOT_FOUND naming any stranger.

    An id of another store is not found, exactly like an id that does not exist.
    """
    if not ids:
        raise DomainError("INVALID", "Name at least one event to replay.", field="ids")
    if len(ids) > MAX_BATCH_SIZE:
        raise DomainError("INVALID", f"At most {MAX_BATCH_SIZE} events per replay.", field="ids")
    numbers = {value: _as_number(value) for value in ids}
    candidates = [number for number in numbers.values() if number is not None]
    rows = await IngestedEvent.filter(tenant_id=tenant_id, id__in=candidates).only("id")
    known = {row.id for row in rows}
    unknown = [value for value, number in numbers.items() if number not in known]
    if unknown:
        shown = ", ".join(value[:40] for value in unknown[:20]) + (" …" if len(unknown) > 20 else "")
        raise DomainError("NOT_FOUND", f"No such events in this store: {shown}.", field="ids")
    return sorted(known)
