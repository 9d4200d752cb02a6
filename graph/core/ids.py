"""Turning client-supplied ids into UUIDs. A malformed id is simply not found."""

from __future__ import annotations

from uuid import UUID

from domain.errors import NotFound


def to_uuid(value: str | None, *, what: str = "Object", field: str = "id") -> UUID:
    try:
        return UUID(str(value))
    except (TypeError, ValueError) as exc:
        raise NotFound(what, field=field) from exc


def parse_uuid(value: str | None) -> UUID | None:
    """``value`` as a UUID, or None when it is not one (for routes that answer rather than raise)."""
    try:
        return UUID(str(value))
    except ValueError:
        return None


def optional_uuid(value: str | None, *, field: str = "tenantId") -> UUID | None:
    return to_uuid(value, what="Store", field=field) if value else None
