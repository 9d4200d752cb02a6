"""The access token a user gets on registering or signing in."""

from __future__ import annotations

from uuid import UUID

from domain.tenancy.security import issue_access_token
from graph.core.context import Info


def access_token(info: Info, user_id: UUID) -> str:
    """A token for ``user_id``, valid for the configured number of minutes."""
    settings = info.context.settings
    return issue_access_token(
        user_id, secret=settings.resolved_secret_key(), minutes=settings.access_token_minutes
    )
