"""Inputs of the campaign mutations: what the owner sets on a campaign."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.campaigns.service import MAX_SEGMENTS, CampaignDraft
from domain.errors import DomainError
from graph.campaigns.types import CampaignIncentive
from graph.core.ids import to_uuid
from graph.core.scalars import Money

_LIMITS = (
    "name: 1 to 120 characters; template: 1 to 1,000 characters with {first_name}, {store}, {balance} "
    "and the incentive's variables ({coupon_code}, {coupon_value}, {coupon_expiry} or {credit})"
)


@strawberry.input(description=f"A campaign as the owner writes it ({_LIMITS}).")
class CampaignInput:
    name: str
    template: str
    include_segment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description=f"The audience: members of any of these segments (at most {MAX_SEGMENTS}); empty: all.",
    )
    exclude_segment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Members of these segments are left out."
    )
    incentive: CampaignIncentive | None = None
    coupon_template_id: strawberry.ID | None = strawberry.field(
        default=None, description="With incentive COUPON: the template each recipient's own code comes from."
    )
    credit_amount: Money | None = strawberry.field(
        default=None, description="With incentive CREDIT: credit per recipient, minor units."
    )
    credit_valid_days: int | None = strawberry.field(
        default=None, description="With incentive CREDIT: days the credit lasts (1 to 3650); null: no expiry."
    )
    window_start: str | None = strawberry.field(
        default=None, description="HH:MM local: the campaign sends from then (quiet hours always apply)."
    )
    window_end: str | None = strawberry.field(default=None, description="HH:MM local: until then.")
    control_percent: int = strawberry.field(
        default=0, description="0 to 50: the share of the reachable audience held out as a control group."
    )
    attribution_days: int = strawberry.field(
        default=7, description="1 to 90: orders this many days after delivery are attributed to it."
    )


@strawberry.input(description="Changes to a draft; what is left out stays as it is.")
class CampaignChangesInput:
    name: str | None = None
    template: str | None = None
    include_segment_ids: list[strawberry.ID] | None = None
    exclude_segment_ids: list[strawberry.ID] | None = None
    incentive: CampaignIncentive | None = None
    coupon_template_id: strawberry.ID | None = None
    credit_amount: Money | None = None
    credit_valid_days: int | None = None
    window_start: str | None = None
    window_end: str | None = None
    control_percent: int | None = None
    attribution_days: int | None = None
    clear_incentive: bool = strawberry.field(default=False, description="true: no incentive any more.")
    clear_window: bool = strawberry.field(default=False, description="true: no sending window any more.")


def segment_ids(values: list[strawberry.ID], field: str) -> list[Any]:
    if len(values) > MAX_SEGMENTS:
        raise DomainError("INVALID", f"At most {MAX_SEGMENTS} segments.", field=field)
    return [to_uuid(value, what="Segment", field=field) for value in values]


def draft(input: CampaignInput) -> CampaignDraft:
    return CampaignDraft(
        name=input.name,
        template=input.template,
        include_segment_ids=segment_ids(input.include_segment_ids, "includeSegmentIds"),
        exclude_segment_ids=segment_ids(input.exclude_segment_ids, "excludeSegmentIds"),
        incentive=input.incentive.value if input.incentive else None,
        coupon_template_id=to_uuid(input.coupon_template_id, what="Coupon template", field="couponTemplateId")
        if input.coupon_template_id
        else None,
        credit_amount=input.credit_amount,
        credit_valid_days=input.credit_valid_days,
        window_start=input.window_start,
        window_end=input.window_end,
        control_percent=input.control_percent,
        attribution_days=input.attribution_days,
    )


def changes(input: CampaignChangesInput) -> dict[str, object]:
    """The draft fields ``input`` changes."""
    found: dict[str, object] = {}
    for name in (
        "name",
        "template",
        "credit_amount",
        "credit_valid_days",
        "window_start",
        "window_end",
        "control_percent",
        "attribution_days",
    ):
        value = getattr(input, name)
        if value is not None:
            found[name] = value
    if input.include_segment_ids is not None:
        found["include_segment_ids"] = segment_ids(input.include_segment_ids, "includeSegmentIds")
    if input.exclude_segment_ids is not None:
        found["exclude_segment_ids"] = segment_ids(input.exclude_segment_ids, "excludeSegmentIds")
    if input.incentive is not None:
        found["incentive"] = input.incentive.value
    if input.coupon_template_id is not None:
        found["coupon_template_id"] = to_uuid(
            input.coupon_template_id, what="Coupon template", field="couponTemplateId"
        )
    if input.clear_incentive:
        found |= {
            "incentive": None,
            "coupon_template_id": None,
            "credit_amount": None,
            "credit_valid_days": None,
        }
    if input.clear_window:
        found |= {"window_start": None, "window_end": None}
    return found
