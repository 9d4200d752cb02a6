"""Where the names below used to live; kept only until their last importers move to the new modules.

Grants, reversals and balances are :mod:`domain.incentives.ledger`; spending at checkout is
:mod:`domain.incentives.checkout`.
"""

from __future__ import annotations

from domain.incentives.checkout import capture_for_order, return_order_redemptions
from domain.incentives.ledger import CASHBACK, balances, grant, reverse_order_grants

__all__ = [
    "CASHBACK",
    "balances",
    "capture_for_order",
    "grant",
    "return_order_redemptions",
    "reverse_order_grants",
]
