"""The store's audit trail for its owners: who did what, newest first."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from domain.audit import models
from domain.audit import service as audit
from graph.core.context import Info
from graph.core.ids import optional_uuid
from graph.core.pagination import Connection, paginate
from graph.core.permissions import Can


@strawberry.type(
    description="One consequential action in the store, as it happened. Never changed or removed."
)
class AuditEntry:
    id: strawberry.ID
    actor_user_id: strawberry.ID | None = strawberry.field(
        description="The person who acted; null for the platform itself."
    )
    action: str = strawberry.field(description="What was done, e.g. credit.adjusted.")
    subject_type: str = strawberry.field(description="What it was done to, e.g. customer.")
    subject_id: str
    detail: JSON = strawberry.field(
        description=(
            "What a reader needs later. credit.adjusted: entry_id, amount (minor units, negative for a "
            "deduction), reason, idempotency_key, expires_at, available_after, pending_after."
        )
    )
    at: datetime

    @classmethod
    def from_model(cls, entry: models.AuditEntry) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(entry.id)),
            actor_user_id=strawberry.ID(str(entry.actor_user_id)) if entry.actor_user_id else None,
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            detail=JSON(entry.detail),
            at=entry.at,
        )


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description=(
            "The store's audit trail, newest first: manual credit adjustments and other consequential "
            "actions, with who did them. Narrow it to one action and/or one subject."
        ),
        permission_classes=[Can("audit", "read")],
    )
    async def audit_trail(
        self,
        info: Info,
        tenant_id: strawberry.ID | None = None,
        action: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEntry]:
        scope = info.context.require_tenant(optional_uuid(tenant_id))
        return await paginate(
            audit.trail(tenant_id=scope, action=action, subject_type=subject_type, subject_id=subject_id),
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
            to_node=AuditEntry.from_model,
            time_field="at",
        )
