"""What every payment gateway adapter answers: a started payment, a verified one, and a typed refusal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal[
    "not_paid",
    "amount_mismatch",
    "invalid_authority",
    "invalid_request",
    "merchant_rejected",
    "unavailable",
]
"""Why a gateway said no, in our words:

- ``not_paid``: the payer did not pay (declined card, cancelled, expired) — final.
- ``amount_mismatch``: the gateway's amount differs from ours — final; it was not this top-up's payment.
- ``invalid_authority``: the gateway knows no such payment for this merchant — final.
- ``invalid_request``: the gateway refused what we sent (validation) — a bug or a configuration to fix.
- ``merchant_rejected``: the merchant account is wrong, inactive or suspended — the operator must act.
- ``unavailable``: the gateway could not be reached or asked us to wait — try again later.
"""

FINAL_OUTCOMES: frozenset[Outcome] = frozenset({"not_paid", "amount_mismatch", "invalid_authority"})


class GatewayError(Exception):
    """A gateway refused, or could not be asked. ``final``: this payment will never be confirmed, so the
    top-up fails; otherwise it stays pending and may be verified again."""

    def __init__(
        self, gateway: str, outcome: Outcome, message: str, *, code: int | str | None = None
    ) -> None:
        super().__init__(message)
        self.gateway = gateway
        self.outcome = outcome
        self.message = message
        self.code = code

    @property
    def final(self) -> bool:
        return self.outcome in FINAL_OUTCOMES

    def __repr__(self) -> str:
        return f"GatewayError({self.gateway!r}, {self.outcome!r}, code={self.code!r})"


@dataclass(frozen=True)
class StartedPayment:
    """A payment the gateway opened: its id and where the payer goes to pay."""

    authority: str
    payment_url: str


@dataclass(frozen=True)
class VerifiedPayment:
    """A payment the gateway confirms: ``already`` when it had been confirmed before (Zarinpal's 101)."""

    authority: str
    amount: int
    ref_id: str
    card_mask: str | None
    already: bool = False
