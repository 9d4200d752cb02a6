"""GraphQL types of the campaigns context: campaigns, their progress, results, recipients and errors."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.extensions import FieldExtension

from domain.campaigns import results as campaign_results
from domain.campaigns.models import Campaign as CampaignModel
from domain.campaigns.progress import CampaignProgress, campaign_progress
from domain.messaging import policy
from graph.campaigns.recipients import recipient_rows
from graph.core.context import Info
from graph.core.errors import errors_as_data
from graph.core.pagination import Connection, Edge, PageInfo
from graph.core.permissions import Can
from graph.core.scalars import Money

READ = [Can("campaigns", "read")]
WRITE = [Can("campaigns", "write")]


@strawberry.enum(
    description=(
        "DRAFT: being written; SCHEDULED: launches at scheduledAt; SENDING: its messages are going out; "
        "PAUSED: stopped between chunks (see pauseReason); COMPLETED: every message went or failed; "
        "CANCELLED: stopped for good, what was still queued withdrawn."
    )
)
class CampaignStatus(Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@strawberry.enum(
    description=(
        "OWNER: paused by a person; INSUFFICIENT_FUNDS: the wallet could not pay (it goes on by itself "
        "after a top-up); LAUNCH_REFUSED: at its time the campaign could not launch (e.g. its coupon "
        "template was archived) — fix it and resume, or cancel it."
    )
)
class CampaignPauseReason(Enum):
    OWNER = "owner"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    LAUNCH_REFUSED = "launch_refused"


@strawberry.enum(description="COUPON: a code of their own per recipient; CREDIT: credit with an expiry.")
class CampaignIncentive(Enum):
    COUPON = "coupon"
    CREDIT = "credit"


@strawberry.enum(
    description=(
        "Why a customer of the audience got no message: NO_PHONE; DUPLICATE_PHONE (another customer of the "
        "audience has the number); INVALID_PHONE; OPTED_OUT; NO_CONSENT (never said, in an opt-in store); "
        "SUPPRESSED_NUMBER (on the store's suppression list); DAILY_CAP / WEEKLY_CAP (the sending policy's "
        "frequency caps)."
    )
)
class ExclusionReason(Enum):
    NO_PHONE = "no_phone"
    DUPLICATE_PHONE = "duplicate_phone"
    INVALID_PHONE = "invalid_phone"
    OPTED_OUT = "opted_out"
    NO_CONSENT = "no_consent"
    SUPPRESSED_NUMBER = "suppressed_number"
    DAILY_CAP = "daily_cap"
    WEEKLY_CAP = "weekly_cap"


@strawberry.enum(
    description="TREATED: got the message; CONTROL: held out on purpose; EXCLUDED: left out (see reason)."
)
class RecipientStatus(Enum):
    TREATED = "treated"
    CONTROL = "control"
    EXCLUDED = "excluded"


@strawberry.type(description="Customers of the audience left out for one reason.")
class CampaignExclusion:
    reason: ExclusionReason
    count: int


@strawberry.type(
    name="CampaignProgress",
    description=(
        "Where a campaign stands. recipients got a message queued at launch, excluded were left out, "
        "control held out. Of the messages: queued wait to go, sent went to the provider (delivered of "
        "them reported delivered), failed did not go or were not delivered, suppressed were withheld by "
        "the sending policy since launch, cancelled were withdrawn with the campaign. Money in IRR."
    ),
)
class CampaignProgressType:
    status: CampaignStatus
    pause_reason: CampaignPauseReason | None
    recipients: int
    excluded: int
    control: int
    queued: int
    sent: int
    delivered: int
    failed: int
    suppressed: int
    cancelled: int
    cost_reserved: Money = strawberry.field(description="Set aside in the wallet at launch (IRR).")
    cost_charged: Money = strawberry.field(
        description="Charged for its messages so far, net of refunds (IRR)."
    )

    @classmethod
    def from_domain(cls, progress: CampaignProgress) -> CampaignProgressType:
        return cls(
            status=CampaignStatus(progress.status),
            pause_reason=CampaignPauseReason(progress.pause_reason) if progress.pause_reason else None,
            recipients=progress.recipients,
            excluded=progress.excluded,
            control=progress.control,
            queued=progress.queued,
            sent=progress.sent,
            delivered=progress.delivered,
            failed=progress.failed,
            suppressed=progress.suppressed,
            cancelled=progress.cancelled,
            cost_reserved=Money(progress.cost_reserved),
            cost_charged=Money(progress.cost_charged),
        )


@strawberry.type(
    description="A group's orders in the campaign's window (launch to launch + attributionDays)."
)
class CampaignGroupResults:
    customers: int
    converted: int = strawberry.field(description="Customers with at least one order in the window.")
    orders: int
    revenue: Money = strawberry.field(description="Net of refunds, minor units of the store's currency.")
    conversion_rate: float = strawberry.field(description="converted / customers, 0 to 1.")
    revenue_per_customer: Money

    @classmethod
    def from_domain(cls, group: campaign_results.GroupResults) -> CampaignGroupResults:
        return cls(
            customers=group.customers,
            converted=group.converted,
            orders=group.orders,
            revenue=Money(group.revenue),
            conversion_rate=group.conversion_rate,
            revenue_per_customer=Money(group.revenue_per_customer),
        )


@strawberry.type(
    name="CampaignResults",
    description=(
        "What the campaign achieved. attributedOrders/attributedRevenue: orders after launch by treated "
        "recipients that used this campaign's coupon, or used no campaign's coupon and whose last campaign "
        "message delivered before them (within its attribution window) was this one's — each order counted "
        "for one campaign at most, net of refunds. treated/control: every treated and control customer's "
        "orders in the same window, whatever the attribution; the lifts are treated minus control."
    ),
)
class CampaignResultsType:
    sent: int
    delivered: int
    failed: int
    opted_out_after: int = strawberry.field(
        description="Recipients who opted out («۱۱», withdrawn consent, suppressed) after the launch."
    )
    coupons_redeemed: int
    credit_spent: Money = strawberry.field(
        description="Credit the recipients spent since launch, up to what this campaign gave each."
    )
    attributed_orders: int
    attributed_revenue: Money
    treated: CampaignGroupResults
    control: CampaignGroupResults
    conversion_lift: float | None = strawberry.field(
        description="Treated minus control conversion rate (0.02: two points); null without a control group."
    )
    revenue_per_customer_lift: Money | None
    window_ends_at: datetime | None

    @classmethod
    def from_domain(cls, result: campaign_results.CampaignResults) -> CampaignResultsType:
        lift = result.revenue_per_customer_lift
        return cls(
            sent=result.sent,
            delivered=result.delivered,
            failed=result.failed,
            opted_out_after=result.opted_out_after,
            coupons_redeemed=result.coupons_redeemed,
            credit_spent=Money(result.credit_spent),
            attributed_orders=result.attributed_orders,
            attributed_revenue=Money(result.attributed_revenue),
            treated=CampaignGroupResults.from_domain(result.treated),
            control=CampaignGroupResults.from_domain(result.control),
            conversion_lift=result.conversion_lift,
            revenue_per_customer_lift=None if lift is None else Money(lift),
            window_ends_at=result.window_ends_at,
        )


@strawberry.type(description="One customer of the audience as launch found them, with their message.")
class CampaignRecipient:
    customer_id: strawberry.ID
    phone: str | None
    status: RecipientStatus
    reason: ExclusionReason | None = strawberry.field(description="Why an excluded customer was left out.")
    message_id: strawberry.ID | None
    message_status: str | None = strawberry.field(
        description="queued, sent, failed, suppressed, skipped or cancelled; null without a message."
    )
    delivery_status: str | None = strawberry.field(description="delivered, failed or undeliverable.")
    delivered_at: datetime | None
    coupon_code: str | None
    credit_amount: Money

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CampaignRecipient:
        delivered = row["delivery_status"] == "delivered"
        return cls(
            customer_id=strawberry.ID(str(row["customer_id"])),
            phone=row["phone"],
            status=RecipientStatus(row["status"]),
            reason=ExclusionReason(row["reason"]) if row["reason"] else None,
            message_id=strawberry.ID(str(row["message_id"])) if row["message_id"] else None,
            message_status=row["message_status"],
            delivery_status=row["delivery_status"],
            delivered_at=row["delivery_status_at"] if delivered else None,
            coupon_code=row["coupon_code"],
            credit_amount=Money(int(row["credit_amount"])),
        )


@strawberry.type(description="A bulk SMS to an audience of the store, with an optional incentive.")
class Campaign:
    id: strawberry.ID
    name: str
    status: CampaignStatus
    pause_reason: CampaignPauseReason | None
    template: str = strawberry.field(description="The message, with {first_name}-style variables.")
    include_segment_ids: list[strawberry.ID] = strawberry.field(
        description="The audience: these segments' members; empty: every customer."
    )
    exclude_segment_ids: list[strawberry.ID] = strawberry.field(description="Their members are left out.")
    incentive: CampaignIncentive | None
    coupon_template_id: strawberry.ID | None
    credit_amount: Money | None
    credit_valid_days: int | None
    scheduled_at: datetime | None
    window_start: str | None = strawberry.field(description="HH:MM local: sends from then only.")
    window_end: str | None = strawberry.field(description="HH:MM local: sends until then only.")
    control_percent: int
    attribution_days: int
    cost_reserved: Money
    launched_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    updated_at: datetime
    exclusions: list[CampaignExclusion] = strawberry.field(
        description="Customers of the audience left out at launch, by reason."
    )
    tenant_id: strawberry.Private[UUID]

    @strawberry.field(description="Its counters now (as campaignProgress streams them).")
    async def progress(self) -> CampaignProgressType:
        return CampaignProgressType.from_domain(
            await campaign_progress(tenant_id=self.tenant_id, campaign_id=UUID(self.id))
        )

    @strawberry.field(description="What it achieved, with the lift over its control group.")
    async def results(self) -> CampaignResultsType:
        return CampaignResultsType.from_domain(
            await campaign_results.campaign_results(tenant_id=self.tenant_id, campaign_id=UUID(self.id))
        )

    @strawberry.field(
        description=(
            "Its audience as launch found it, in launch order: each customer's status (treated, control, "
            "excluded with the reason) and their message's status and delivery; filter by status and by "
            "messageStatus (queued, sent, failed, suppressed, skipped, cancelled)."
        )
    )
    async def recipients(
        self,
        info: Info,
        status: RecipientStatus | None = None,
        message_status: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CampaignRecipient]:
        rows, more = await recipient_rows(
            tenant_id=self.tenant_id,
            campaign_id=UUID(self.id),
            status=status.value if status else None,
            message_status=message_status,
            first=first,
            after=after,
            cap=info.context.settings.page_size_cap,
        )
        edges = [Edge(cursor=str(row["id"]), node=CampaignRecipient.from_row(row)) for row in rows]
        return Connection(
            edges=edges,
            page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
        )

    @classmethod
    def from_model(cls, campaign: CampaignModel) -> Campaign:
        return cls(
            id=strawberry.ID(str(campaign.id)),
            name=campaign.name,
            status=CampaignStatus(campaign.status),
            pause_reason=CampaignPauseReason(campaign.pause_reason) if campaign.pause_reason else None,
            template=campaign.template,
            include_segment_ids=[strawberry.ID(value) for value in campaign.include_segment_ids],
            exclude_segment_ids=[strawberry.ID(value) for value in campaign.exclude_segment_ids],
            incentive=CampaignIncentive(campaign.incentive) if campaign.incentive else None,
            coupon_template_id=strawberry.ID(str(campaign.coupon_template_id))
            if campaign.coupon_template_id
            else None,
            credit_amount=None if campaign.credit_amount is None else Money(campaign.credit_amount),
            credit_valid_days=campaign.credit_valid_days,
            scheduled_at=campaign.scheduled_at,
            window_start=None if campaign.window_start is None else policy.format_time(campaign.window_start),
            window_end=None if campaign.window_end is None else policy.format_time(campaign.window_end),
            control_percent=campaign.control_percent,
            attribution_days=campaign.attribution_days,
            cost_reserved=Money(campaign.cost_reserved),
            launched_at=campaign.launched_at,
            finished_at=campaign.finished_at,
            created_at=campaign.created_at,
            updated_at=campaign.updated_at,
            exclusions=[
                CampaignExclusion(reason=ExclusionReason(reason), count=int(count))
                for reason, count in campaign.exclusions.items()
            ],
            tenant_id=campaign.tenant_id,  # type: ignore[attr-defined]
        )


@strawberry.enum
class CampaignErrorCode(Enum):
    INVALID = "INVALID"
    TENANT_REQUIRED = "TENANT_REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    UNKNOWN_VARIABLE = "UNKNOWN_VARIABLE"
    MISSING_VALUE = "MISSING_VALUE"
    INVALID_TEMPLATE = "INVALID_TEMPLATE"
    INVALID_SEGMENT = "INVALID_SEGMENT"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    TEMPLATE_ARCHIVED = "TEMPLATE_ARCHIVED"
    TEMPLATE_EXPIRED = "TEMPLATE_EXPIRED"
    CODES_EXHAUSTED = "CODES_EXHAUSTED"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    NO_PHONE = "NO_PHONE"
    INVALID_PHONE = "INVALID_PHONE"


@strawberry.type
class CampaignError:
    code: CampaignErrorCode
    field: str | None = strawberry.field(description="The input at fault, e.g. template or controlPercent.")
    message: str


@strawberry.type
class CampaignPayload:
    campaign: Campaign | None = None
    errors: list[CampaignError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteCampaignPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[CampaignError] = strawberry.field(default_factory=list)


@strawberry.type(description="The test message queued: to whom, as it reads, and its state.")
class CampaignTestPayload:
    message_id: strawberry.ID | None = None
    phone: str | None = None
    body: str | None = None
    parts: int | None = None
    status: str | None = None
    errors: list[CampaignError] = strawberry.field(default_factory=list)


def campaign_errors(payload: type) -> list[FieldExtension]:
    return errors_as_data(payload, CampaignError, CampaignErrorCode)
