"""What an owner configures in an automation: a trigger, conditions and ordered steps.

The definition is a pydantic model at the boundary (GraphQL input, the JSON column) and plain data
inside: it is stored as JSON on the Automation, and a copy is kept on every run at enrolment, so
editing an automation never changes what a run in flight does. ``schema_version`` lets later
releases read definitions written by earlier ones.

Amounts are integers in minor units of the store's currency. Conditions are all required (AND).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from domain.errors import DomainError
from domain.messaging.formatting import validate_template

TEMPLATE_VARIABLES = frozenset({"first_name", "credit", "balance", "store"})
"""Placeholders a ``send_sms`` template may use: the customer's first name, the cashback this run
granted, the customer's credit balance (available + pending) and the store's name."""

MAX_STEPS = 20


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderTotalCondition(_Part):
    """The order total compared with an amount: ``{"type": "order_total", "op": "gte", "amount": 5000}``."""

    type: Literal["order_total"] = "order_total"
    op: Literal["gte", "gt", "lte", "lt", "eq"]
    amount: int = Field(ge=0, description="Minor units of the store's currency.")

    def matches(self, *, total: int) -> bool:
        """True when an order of ``total`` (minor units) satisfies the condition."""
        if self.op == "gte":
            return total >= self.amount
        if self.op == "gt":
            return total > self.amount
        if self.op == "lte":
            return total <= self.amount
        if self.op == "lt":
            return total < self.amount
        return total == self.amount


class GrantCashbackStep(_Part):
    """Grant a percentage of the order (shipping excluded) as credit, optionally capped."""

    type: Literal["grant_cashback"] = "grant_cashback"
    percent: Decimal = Field(gt=0, le=100, max_digits=5, decimal_places=2)
    cap: int | None = Field(default=None, ge=1, description="The most one order earns, in minor units.")
    available_after_days: int = Field(default=0, ge=0, le=365)
    expires_after_days: int | None = Field(
        default=None, ge=1, le=3650, description="Counted from when the credit becomes available."
    )

    def cashback(self, *, total: int, shipping_total: int) -> int:
        """The cashback an order earns: ``(total - shipping) × percent / 100``, rounded down, capped."""
        base = max(total - shipping_total, 0)
        amount = int((Decimal(base) * self.percent / 100).to_integral_value(rounding=ROUND_DOWN))
        return amount if self.cap is None else min(amount, self.cap)


class SendSmsStep(_Part):
    """Send the customer an SMS rendered from ``template``.

    Marketing messages are not sent to customers who opted out and carry the opt-out footer;
    transactional ones (a receipt for the cashback) go to everyone with a phone.
    """

    type: Literal["send_sms"] = "send_sms"
    template: str = Field(min_length=1, max_length=1000)
    purpose: Literal["marketing", "transactional"] = "transactional"

    @field_validator("template")
    @classmethod
    def _known_variables(cls, template: str) -> str:
        try:
            validate_template(template, TEMPLATE_VARIABLES)
        except DomainError as exc:
            raise PydanticCustomError(exc.code.lower(), exc.message) from None
        return template


Condition = Annotated[OrderTotalCondition, Field(discriminator="type")]
Step = Annotated[GrantCashbackStep | SendSmsStep, Field(discriminator="type")]


class AutomationDefinition(_Part):
    """When the automation starts, for which orders, and what it does, in order."""

    schema_version: Literal[1] = 1
    trigger: Literal["order.completed"]
    conditions: list[Condition] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)

    def matches(self, *, total: int) -> bool:
        """True when an order of ``total`` satisfies every condition."""
        return all(condition.matches(total=total) for condition in self.conditions)

    def to_json(self) -> dict[str, Any]:
        """The definition as stored: plain JSON (percentages as strings, so nothing is rounded)."""
        return self.model_dump(mode="json")
