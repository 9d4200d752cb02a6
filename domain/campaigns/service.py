"""Campaigns as the owner writes them: create, update and delete a draft, and find them.

A campaign is checked whole when it is saved — its name, its template against the variables a
campaign can fill, its audience's segments and its coupon template (the store's own), its incentive,
window, control group and attribution window — so a typo fails at save time, not at launch. Creating
with a client key a second time answers with the campaign the first call made, so a client may retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.campaigns.lifecycle import DRAFT, STATUSES, locked
from domain.campaigns.models import Campaign
from domain.coupons.models import CouponTemplate
from domain.errors import DomainError, NotFound
from domain.messaging import policy
from domain.messaging.formatting import template_variables, validate_template
from domain.messaging.templates import MAX_TEMPLATE
from domain.segments.models import Segment
from domain.text import free_text_problem, identifier_problem

MAX_NAME: Final = 120
MAX_SEGMENTS: Final = 20
MAX_CONTROL_PERCENT: Final = 50
MAX_ATTRIBUTION_DAYS: Final = 90
MAX_CREDIT: Final = 10**10
MAX_CREDIT_DAYS: Final = 3650
MAX_CLIENT_KEY: Final = 100
INCENTIVES: Final = frozenset({"coupon", "credit"})

BASE_VARIABLES: Final = frozenset({"first_name", "store", "balance"})
COUPON_VARIABLES: Final = frozenset({"coupon_code", "coupon_value", "coupon_expiry"})
CREDIT_VARIABLES: Final = frozenset({"credit"})


@dataclass(frozen=True)
class CampaignDraft:
    """What the owner sets on a campaign. Times of day are ``"HH:MM"`` in the store's zone; money in
    minor units of the store's currency; an empty ``include_segment_ids`` means every customer."""

    name: str
    template: str
    include_segment_ids: Sequence[UUID] = ()
    exclude_segment_ids: Sequence[UUID] = ()
    incentive: str | None = None
    coupon_template_id: UUID | None = None
    credit_amount: int | None = None
    credit_valid_days: int | None = None
    window_start: str | None = None
    window_end: str | None = None
    control_percent: int = 0
    attribution_days: int = 7


def allowed_variables(incentive: str | None) -> frozenset[str]:
    """The placeholders a campaign's template may use: its customer's and store's, and its incentive's."""
    if incentive == "coupon":
        return BASE_VARIABLES | COUPON_VARIABLES
    if incentive == "credit":
        return BASE_VARIABLES | CREDIT_VARIABLES
    return BASE_VARIABLES


async def get(*, tenant_id: UUID, campaign_id: UUID) -> Campaign:
    campaign = await Campaign.get_or_none(tenant_id=tenant_id, id=campaign_id)
    if campaign is None:
        raise NotFound("Campaign")
    return campaign


def list_campaigns(*, tenant_id: UUID, status: str | None = None) -> QuerySet[Campaign]:
    """The store's campaigns, newest first, optionally only those in ``status``."""
    if status is not None and status not in STATUSES:
        raise DomainError("INVALID", f"A status is one of {', '.join(STATUSES)}.", field="status")
    queryset = Campaign.filter(tenant_id=tenant_id)
    return (queryset.filter(status=status) if status else queryset).order_by("-created_at", "-id")


async def create(
    *,
    tenant_id: UUID,
    draft: CampaignDraft,
    client_key: str | None = None,
    created_by_user_id: UUID | None = None,
    now: datetime,
) -> Campaign:
    """A draft campaign. With ``client_key``, a repeat (or a concurrent twin) returns the first campaign
    made with that key, whatever else it says."""
    key = _client_key(client_key)
    if key is not None:
        earlier = await Campaign.get_or_none(tenant_id=tenant_id, client_key=key)
        if earlier is not None:
            return earlier
    values = await validated(tenant_id=tenant_id, draft=draft, now=now)
    try:
        async with in_transaction():  # a savepoint: a lost race leaves the caller's transaction usable
            return await Campaign.create(
                tenant_id=tenant_id, client_key=key, created_by_user_id=created_by_user_id, **values
            )
    except IntegrityError:
        if key is None:
            raise
        return await Campaign.get(tenant_id=tenant_id, client_key=key)


async def update(
    *, tenant_id: UUID, campaign_id: UUID, changes: dict[str, object], now: datetime
) -> Campaign:
    """Change a draft: ``changes`` names :class:`CampaignDraft` fields and their new values; the whole
    campaign is checked again. ``INVALID_STATE`` once it is scheduled or launched."""
    unknown = set(changes) - {item.name for item in fields(CampaignDraft)}
    if unknown:
        raise DomainError("INVALID", f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    async with in_transaction() as connection:
        campaign = await locked(connection, tenant_id, campaign_id)
        _require_draft(campaign, "changed")
        draft = replace(draft_of(campaign), **changes)  # type: ignore[arg-type]
        values = await validated(tenant_id=tenant_id, draft=draft, now=now)
        for name, value in values.items():
            setattr(campaign, name, value)
        await campaign.save(using_db=connection)
    return campaign


async def delete(*, tenant_id: UUID, campaign_id: UUID) -> None:
    """Delete a draft; ``INVALID_STATE`` for a campaign that was scheduled or launched (cancel it)."""
    async with in_transaction() as connection:
        campaign = await locked(connection, tenant_id, campaign_id)
        _require_draft(campaign, "deleted")
        await campaign.delete(using_db=connection)


def draft_of(campaign: Campaign) -> CampaignDraft:
    """The owner's settings of a stored campaign."""
    return CampaignDraft(
        name=campaign.name,
        template=campaign.template,
        include_segment_ids=[UUID(value) for value in campaign.include_segment_ids],
        exclude_segment_ids=[UUID(value) for value in campaign.exclude_segment_ids],
        incentive=campaign.incentive,
        coupon_template_id=campaign.coupon_template_id,
        credit_amount=campaign.credit_amount,
        credit_valid_days=campaign.credit_valid_days,
        window_start=None if campaign.window_start is None else policy.format_time(campaign.window_start),
        window_end=None if campaign.window_end is None else policy.format_time(campaign.window_end),
        control_percent=campaign.control_percent,
        attribution_days=campaign.attribution_days,
    )


async def validated(*, tenant_id: UUID, draft: CampaignDraft, now: datetime) -> dict[str, Any]:
    """The model values of ``draft`` once every rule holds; the first rule broken is a
    :class:`DomainError` naming its field."""
    incentive = _incentive(draft)
    _template(draft.template, incentive)
    include = await _segments(tenant_id, draft.include_segment_ids, "includeSegmentIds")
    exclude = await _segments(tenant_id, draft.exclude_segment_ids, "excludeSegmentIds")
    if set(include) & set(exclude):
        raise DomainError(
            "INVALID_SEGMENT", "A segment cannot be both included and excluded.", field="excludeSegmentIds"
        )
    if incentive == "coupon":
        await coupon_template(tenant_id, draft.coupon_template_id, now)
    window = _window(draft.window_start, draft.window_end)
    if not 0 <= draft.control_percent <= MAX_CONTROL_PERCENT:
        raise DomainError(
            "INVALID", f"The control group is 0 to {MAX_CONTROL_PERCENT} %.", field="controlPercent"
        )
    if not 1 <= draft.attribution_days <= MAX_ATTRIBUTION_DAYS:
        raise DomainError(
            "INVALID", f"The attribution window is 1 to {MAX_ATTRIBUTION_DAYS} days.", field="attributionDays"
        )
    return {
        "name": _name(draft.name),
        "template": draft.template,
        "include_segment_ids": include,
        "exclude_segment_ids": exclude,
        "incentive": incentive,
        "coupon_template_id": draft.coupon_template_id if incentive == "coupon" else None,
        "credit_amount": draft.credit_amount if incentive == "credit" else None,
        "credit_valid_days": draft.credit_valid_days if incentive == "credit" else None,
        "window_start": window[0],
        "window_end": window[1],
        "control_percent": draft.control_percent,
        "attribution_days": draft.attribution_days,
    }


async def coupon_template(tenant_id: UUID, template_id: UUID | None, now: datetime) -> CouponTemplate:
    """The store's coupon template that can issue codes now; ``NOT_FOUND`` for another store's."""
    if template_id is None:
        raise DomainError("INVALID", "A coupon incentive needs a coupon template.", field="couponTemplateId")
    template = await CouponTemplate.get_or_none(tenant_id=tenant_id, id=template_id)
    if template is None:
        raise NotFound("Coupon template", field="couponTemplateId")
    if template.archived_at is not None:
        raise DomainError(
            "TEMPLATE_ARCHIVED",
            "The coupon template is archived: it issues no codes.",
            field="couponTemplateId",
        )
    if template.expires_at is not None and template.expires_at <= now:
        raise DomainError(
            "TEMPLATE_EXPIRED", "The coupon template's codes have expired already.", field="couponTemplateId"
        )
    return template


def _incentive(draft: CampaignDraft) -> str | None:
    if draft.incentive is not None and draft.incentive not in INCENTIVES:
        raise DomainError("INVALID", "An incentive is coupon or credit, or none.", field="incentive")
    if draft.incentive == "credit":
        if draft.credit_amount is None or not 1 <= draft.credit_amount <= MAX_CREDIT:
            raise DomainError(
                "INVALID_AMOUNT", f"Credit per recipient is 1 to {MAX_CREDIT:,}.", field="creditAmount"
            )
        if draft.credit_valid_days is not None and not 1 <= draft.credit_valid_days <= MAX_CREDIT_DAYS:
            raise DomainError(
                "INVALID",
                f"Credit lasts 1 to {MAX_CREDIT_DAYS} days, or never expires.",
                field="creditValidDays",
            )
    return draft.incentive


def _template(template: str, incentive: str | None) -> None:
    if len(template) > MAX_TEMPLATE:
        raise DomainError("INVALID", f"A template has at most {MAX_TEMPLATE} characters.", field="template")
    problem = free_text_problem(template)
    if problem:
        raise DomainError("INVALID", problem, field="template")
    allowed = allowed_variables(incentive)
    validate_template(template, allowed)
    used = template_variables(template)
    if incentive is None and used & (COUPON_VARIABLES | CREDIT_VARIABLES):
        raise DomainError(
            "MISSING_VALUE",
            f"{{{sorted(used & (COUPON_VARIABLES | CREDIT_VARIABLES))[0]}}} needs an incentive.",
            field="template",
        )


async def _segments(tenant_id: UUID, ids: Sequence[UUID], field: str) -> list[str]:
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_SEGMENTS:
        raise DomainError("INVALID", f"At most {MAX_SEGMENTS} segments.", field=field)
    if not wanted:
        return []
    found = await Segment.filter(tenant_id=tenant_id, id__in=wanted).count()
    if found != len(wanted):
        raise NotFound("Segment", field=field)
    return [str(value) for value in wanted]


def _window(start: str | None, end: str | None) -> tuple[int | None, int | None]:
    if start is None and end is None:
        return None, None
    if start is None or end is None:
        raise DomainError("INVALID", "A sending window has a start and an end.", field="windowStart")
    opens = policy.parse_time(start, field="windowStart")
    closes = policy.parse_time(end, field="windowEnd")
    if opens == closes:
        raise DomainError("INVALID", "A sending window ends after it starts.", field="windowEnd")
    return opens, closes


def _name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME:
        raise DomainError("INVALID", f"A name has 1 to {MAX_NAME} characters.", field="name")
    problem = identifier_problem(cleaned)
    if problem:
        raise DomainError("INVALID", problem, field="name")
    return cleaned


def _client_key(key: str | None) -> str | None:
    if key is None:
        return None
    cleaned = key.strip()
    if not cleaned or len(cleaned) > MAX_CLIENT_KEY or identifier_problem(cleaned):
        raise DomainError(
            "INVALID", f"A client key is 1 to {MAX_CLIENT_KEY} printable characters.", field="clientKey"
        )
    return cleaned


def _require_draft(campaign: Campaign, verb: str) -> None:
    if campaign.status != DRAFT:
        raise DomainError(
            "INVALID_STATE", f"Only a draft can be {verb}; this campaign is {campaign.status}.", field="id"
        )
