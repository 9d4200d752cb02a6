"""Recording and reading the audit trail: who did what in a store, and when.

:func:`record` runs inside the caller's transaction, so an action and its audit entry commit or roll
back together: nothing is ever done without its entry, and no entry names an action that did not happen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from tortoise.queryset import QuerySet

from domain.audit.models import AuditEntry
from domain.errors import DomainError

_NAME: Final = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
"""Actions and subject types are dotted lower-case names: ``credit.adjusted``, ``customer``."""
MAX_ACTION: Final = 64
MAX_SUBJECT_TYPE: Final = 32
MAX_SUBJECT_ID: Final = 64


async def record(
    *,
    tenant_id: UUID,
    actor_user_id: UUID | None,
    action: str,
    subject_type: str,
    subject_id: str | UUID,
    detail: Mapping[str, Any],
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the store's audit trail, in the caller's transaction.

    ``action`` (``credit.adjusted``) and ``subject_type`` (``customer``) are dotted lower-case names the
    code chooses, never user input; ``detail`` is what a reader needs to understand the action later
    (amounts, the reason given, the balance after), JSON-serialisable. ``at`` defaults to now.
    Raises ``INVALID`` for a malformed name: a programming error, not a user's.
    """
    if len(action) > MAX_ACTION or not _NAME.match(action):
        raise DomainError("INVALID", f"{action!r} is not an audit action name.", field="action")
    if len(subject_type) > MAX_SUBJECT_TYPE or not _NAME.match(subject_type):
        raise DomainError("INVALID", f"{subject_type!r} is not an audit subject type.", field="subjectType")
    subject = str(subject_id)
    if not subject or len(subject) > MAX_SUBJECT_ID:
        raise DomainError("INVALID", "An audit subject id is 1 to 64 characters.", field="subjectId")
    return await AuditEntry.create(
        tenant_id=tenant_id,
        actor_user_id=actor_user_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject,
        detail=dict(detail),
        at=at or datetime.now(UTC),
    )


def trail(
    *,
    tenant_id: UUID,
    action: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
) -> QuerySet[AuditEntry]:
    """The store's audit entries, optionally of one action and/or one subject (order it as the page needs)."""
    queryset = AuditEntry.filter(tenant_id=tenant_id)
    if action is not None:
        queryset = queryset.filter(action=action)
    if subject_type is not None:
        queryset = queryset.filter(subject_type=subject_type)
    if subject_id is not None:
        queryset = queryset.filter(subject_id=subject_id)
    return queryset
