"""Amounts a customer would spend at checkout, rounded down to the currency's minor unit.

A cart of ``"1000.5"`` toman can take at most 1000 toman of credit, never 1001: rounding half up (how
store amounts are otherwise read) could let credit exceed the cart or a hold exceed what was asked.
"""

from __future__ import annotations

from domain.commerce.money import to_minor
from domain.errors import DomainError
from graph.core.checkout import StoreMoney


def spendable_minor(money: StoreMoney, amount: str, *, field: str) -> int:
    """``amount`` in minor units of the store's currency, rounded down; ``INVALID`` when not an amount."""
    try:
        return to_minor(amount, money.currency, field=field, round_down=True)
    except DomainError as exc:
        raise DomainError("INVALID", exc.message, field=field) from exc
