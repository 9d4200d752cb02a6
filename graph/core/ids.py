"""Turning client-supplied ids into UUIDs. A malformed id is simply not found."""

from __future__ import annotations

from uuid import UUID

from domain.errors import NotFound


def to_uuid(value: str | None, *, what: str = "Object", field: str = "id") -> UUID:
    try:
        return UUID(str(value))
    except (TypeError, ValueError) as exc:
        raise NotFound(what, field=field) from exc


def optional_uuid(value: str | None, *, field: str = "tenantId") -> UUID | None:
    return to_uuid(value, what="Store", field=field) if value else None
