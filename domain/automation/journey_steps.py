"""What a journey does, step by step: waits, SMS, cashback, credit, coupons, branches, goals and tags."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from domain.automation.journey_conditions import (
    Check,
    InSegmentCheck,
    MatchesCheck,
    OrderedSinceEnrolment,
    RedeemedCoupon,
)
from domain.automation.journey_parts import (
    LINK,
    MAX_AMOUNT,
    MAX_TAG,
    STEP_ID,
    ClockTime,
    Part,
    checked_clock,
)
from domain.errors import DomainError
from domain.messaging.formatting import template_variables
from domain.messaging.templates import MESSAGE_VARIABLES, validate_template
from domain.text import FreeText, IdentifierText

StepId = Annotated[str, Field(min_length=1, max_length=40, pattern=STEP_ID.pattern)]


class _Step(Part):
    id: StepId


class Duration(Part):
    """A length of time: at least a minute, at most 3650 days."""

    days: int = Field(default=0, ge=0, le=3650)
    hours: int = Field(default=0, ge=0, le=87_600)
    minutes: int = Field(default=0, ge=0, le=5_256_000)

    @model_validator(mode="after")
    def _positive(self) -> Duration:
        total = self.total_minutes
        if total < 1:
            raise PydanticCustomError("empty_duration", "A wait lasts at least one minute.")
        if total > 3650 * 24 * 60:
            raise PydanticCustomError("long_duration", "A wait lasts at most 3650 days.")
        return self

    @property
    def total_minutes(self) -> int:
        return self.days * 24 * 60 + self.hours * 60 + self.minutes


DateField = Literal["birthday", "first_order_anniversary", "coupon_expiry", "credit_expiry"]


class WaitStep(_Step):
    """Wait before the next step — exactly one of:

    - ``duration`` ``{"days": 3}``;
    - ``until_time`` ``"10:00"``: the next 10:00 in the store's timezone;
    - ``until_weekday`` 0 (Monday) … 6 (Sunday), with an optional ``at`` ``"HH:MM"`` (default 00:00);
    - ``until_date_field`` ``birthday`` / ``first_order_anniversary`` (the next one, in the store's
      calendar), ``coupon_expiry`` / ``credit_expiry`` (of what this run issued or the trigger is
      about), shifted by ``offset_days`` (-60…60, e.g. -3 for three days before), at ``at`` or 00:00.

    A moment already past does not wait."""

    type: Literal["wait"] = "wait"
    duration: Duration | None = None
    until_time: ClockTime | None = None
    until_weekday: int | None = Field(default=None, ge=0, le=6)
    at: ClockTime | None = None
    until_date_field: DateField | None = None
    offset_days: int = Field(default=0, ge=-60, le=60)

    @field_validator("until_time", "at")
    @classmethod
    def _times(cls, value: str | None) -> str | None:
        return None if value is None else checked_clock(value)

    @model_validator(mode="after")
    def _one_kind(self) -> WaitStep:
        kinds = [
            name
            for name in ("duration", "until_time", "until_weekday", "until_date_field")
            if getattr(self, name) is not None
        ]
        if len(kinds) != 1:
            raise PydanticCustomError(
                "wait_kind",
                "A wait has exactly one of duration, until_time, until_weekday, until_date_field.",
            )
        if self.at is not None and kinds[0] not in ("until_weekday", "until_date_field"):
            raise PydanticCustomError(
                "unexpected_at", "at applies to until_weekday and until_date_field only."
            )
        if self.offset_days and kinds[0] != "until_date_field":
            raise PydanticCustomError("unexpected_offset", "offset_days applies to until_date_field only.")
        return self


class SendSmsStep(_Step):
    """Send the customer an SMS rendered from ``template`` under the store's sending policy.

    Marketing messages respect consent, opt-outs, quiet hours and frequency caps and carry the opt-out
    footer; transactional ones (a receipt for the cashback) go to everyone with a phone at once. A
    capped marketing message is skipped (``when_capped: "skip"``) or deferred until the cap frees
    (``"defer"``)."""

    type: Literal["send_sms"] = "send_sms"
    template: Annotated[FreeText, Field(min_length=1, max_length=1000)]
    purpose: Literal["marketing", "transactional"] = "transactional"
    when_capped: Literal["skip", "defer"] = "skip"
    link: Annotated[str, Field(min_length=8, max_length=500)] | None = Field(
        default=None, description="What {link} says: an http(s) address, e.g. the store's sale page."
    )

    @field_validator("link")
    @classmethod
    def _address(cls, link: str | None) -> str | None:
        if link is not None and not LINK.match(link):
            raise PydanticCustomError(
                "invalid_link", "A link is an http:// or https:// address without spaces."
            )
        return link

    @model_validator(mode="after")
    def _link_given(self) -> SendSmsStep:
        if "link" in self.variables() and self.link is None:
            raise PydanticCustomError("missing_link", "The template uses {link}; say which link.")
        return self

    @field_validator("template")
    @classmethod
    def _known_variables(cls, template: str) -> str:
        try:
            validate_template(template, MESSAGE_VARIABLES)
        except DomainError as exc:
            raise PydanticCustomError(exc.code.lower(), exc.message) from None
        return template

    def variables(self) -> set[str]:
        return template_variables(self.template)


class GrantCashbackStep(_Step):
    """Grant a percentage of the order (shipping and refunds excluded) as credit, optionally capped."""

    type: Literal["grant_cashback"] = "grant_cashback"
    percent: Decimal = Field(gt=0, le=100, max_digits=5, decimal_places=2)
    cap: int | None = Field(
        default=None, ge=1, le=MAX_AMOUNT, description="The most one order earns, in minor units."
    )
    available_after_days: int = Field(default=0, ge=0, le=365)
    expires_after_days: int | None = Field(
        default=None, ge=1, le=3650, description="Counted from when the credit becomes available."
    )

    def cashback(self, *, total: int, shipping_total: int, refunded_total: int = 0) -> int:
        """``max(total - shipping - refunded, 0) × percent / 100``, rounded down, capped."""
        base = max(total - shipping_total - refunded_total, 0)
        amount = int((Decimal(base) * self.percent / 100).to_integral_value(rounding=ROUND_DOWN))
        return amount if self.cap is None else min(amount, self.cap)


class GrantCreditStep(_Step):
    """Grant a fixed amount of credit, available at once, expiring ``expires_after_days`` later."""

    type: Literal["grant_credit"] = "grant_credit"
    amount: int = Field(ge=1, le=MAX_AMOUNT, description="Minor units of the store's currency.")
    expires_after_days: int | None = Field(default=None, ge=1, le=3650)


class IssueCouponStep(_Step):
    """Issue the customer a unique code from a coupon template (once per run)."""

    type: Literal["issue_coupon"] = "issue_coupon"
    template_id: UUID


JumpTarget = Annotated[str, Field(min_length=1, max_length=40)]


class BranchStep(_Step):
    """Go to ``then`` when ``if`` holds, else to ``else``: a later step's id, ``"end"`` (the run
    completes) or null (the next step)."""

    type: Literal["branch"] = "branch"
    if_: Check = Field(alias="if")
    then: JumpTarget | None = None
    else_: JumpTarget | None = Field(default=None, alias="else")


class ExitIfStep(_Step):
    """A goal: checked before every step of the run (wherever it stands); when it holds the run exits
    with reason ``goal``. Reaching it in order does nothing more."""

    type: Literal["exit_if"] = "exit_if"
    if_: Check = Field(alias="if")


Tag = Annotated[IdentifierText, Field(min_length=1, max_length=MAX_TAG)]


class _TagStep(_Step):
    tag: Tag

    @field_validator("tag")
    @classmethod
    def _trimmed(cls, tag: str) -> str:
        cleaned = tag.strip()
        if not cleaned:
            raise PydanticCustomError("empty_tag", "A tag is not blank.")
        return cleaned


class AddTagStep(_TagStep):
    """Add a tag to the customer (nothing changes if they have it)."""

    type: Literal["add_tag"] = "add_tag"


class RemoveTagStep(_TagStep):
    """Remove a tag from the customer (nothing changes if they lack it)."""

    type: Literal["remove_tag"] = "remove_tag"


Step = Annotated[
    WaitStep
    | SendSmsStep
    | GrantCashbackStep
    | GrantCreditStep
    | IssueCouponStep
    | BranchStep
    | ExitIfStep
    | AddTagStep
    | RemoveTagStep,
    Field(discriminator="type"),
]
AnyStep = (
    WaitStep
    | SendSmsStep
    | GrantCashbackStep
    | GrantCreditStep
    | IssueCouponStep
    | BranchStep
    | ExitIfStep
    | AddTagStep
    | RemoveTagStep
)
AnyCheck = OrderedSinceEnrolment | RedeemedCoupon | InSegmentCheck | MatchesCheck
