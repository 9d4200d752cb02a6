"""The one exception type business rules raise. The API turns it into a typed error; jobs record it."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. ``code`` is stable and machine-readable; ``message`` is for people."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing does not exist for this tenant (which is also what another tenant's thing looks like)."""

    def __init__(self, what: str, *, field: str | None = "id") -> None:
        super().__init__("NOT_FOUND", f"{what} not found.", field=field)


class NotYetKnown(DomainError):
    """The event refers to something Revisit has not received yet, such as a refund of an order whose
    own event is still on its way. The event waits for ``awaited`` (``order:1042``) instead of failing."""

    def __init__(self, code: str, message: str, *, awaited: str, field: str | None = None) -> None:
        super().__init__(code, message, field=field)
        self.awaited = awaited
