"""The billing context's typed errors."""

from __future__ import annotations

from domain.errors import DomainError


class InsufficientFunds(DomainError):
    """The wallet's available balance (balance − reserved) cannot pay: ``needed`` IRR were asked of the
    available balance and only ``available`` IRR are there. Nothing was written."""

    def __init__(self, *, needed: int, available: int, field: str | None = "amount") -> None:
        super().__init__(
            "INSUFFICIENT_FUNDS",
            f"The wallet cannot pay {needed} IRR: {available} IRR are available.",
            field=field,
        )
        self.needed = needed
        self.available = available
