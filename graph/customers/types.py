"""GraphQL types of customers and their orders."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from uuid import UUID

import strawberry

from domain.commerce import models as commerce
from domain.customers import models
from domain.intelligence import prediction
from domain.messaging import consent
from graph.core.context import Info
from graph.core.ids import to_uuid
from graph.core.permissions import Can
from graph.core.scalars import Money
from graph.customers.timeline import TimelineConnection, TimelineKind, customer_timeline

SCORE = "1 to 5 by fifths of the store's customers, 5 the best fifth; null until scored."
TIMELINE_READ = [
    Can(obj, "read") for obj in ("customers", "orders", "credit", "messages", "automations", "events")
]
"""The timeline shows what each of these contexts holds about the customer."""


@strawberry.enum(
    description="Where a customer is in their life with the store, measured by its purchase cycle."
)
class LifecycleStage(Enum):
    PROSPECT = "prospect"
    NEW = "new"
    ACTIVE = "active"
    LOYAL = "loyal"
    AT_RISK = "at_risk"
    ABOUT_TO_LOSE = "about_to_lose"
    CHURNED = "churned"


@strawberry.federation.type(keys=["id"], description="A customer of the store.")
class Customer:
    id: strawberry.ID
    external_id: str | None = strawberry.field(
        description="The store's id for the customer; null for guests."
    )
    phone: str | None = strawberry.field(description="E.164, e.g. +989121234567.")
    email: str | None
    first_name: str
    last_name: str
    city: str
    birthday: date | None
    birth_month: int | None = strawberry.field(description="The birthday's month in the store's calendar.")
    birth_day: int | None = strawberry.field(
        description="The birthday's day of the month in the store's calendar."
    )
    marketing_consent: bool = strawberry.field(
        description="What the store or the customer said about marketing; see consentSource."
    )
    consent_source: str = strawberry.field(
        description="Who said it: store, customer, or unknown (never said: the store's consent mode decides)."
    )
    orders_count: int
    total_spent: Money = strawberry.field(description="Minor units of the store currency, refunds deducted.")
    average_order_value: Money = strawberry.field(description="totalSpent / ordersCount; 0 before an order.")
    average_days_between_orders: float | None = strawberry.field(
        description="The mean days between consecutive orders; null before a second order."
    )
    median_days_between_orders: float | None = strawberry.field(
        description="The median days between consecutive orders; null before a second order."
    )
    refunds_count: int = strawberry.field(description="How many refunds the store made on their orders.")
    refunded_total: Money = strawberry.field(description="What those refunds gave back.")
    recency_score: int | None = strawberry.field(description=f"RFM recency: how lately they ordered. {SCORE}")
    frequency_score: int | None = strawberry.field(
        description=f"RFM frequency: how often they order. {SCORE}"
    )
    monetary_score: int | None = strawberry.field(description=f"RFM monetary: how much they spend. {SCORE}")
    lifecycle_stage: LifecycleStage
    first_order_at: datetime | None
    last_order_at: datetime | None
    created_at: datetime
    key: strawberry.Private[tuple[UUID, UUID]]  # (tenant id, customer id), for this customer's loaders

    @property
    def tenant_scope(self) -> str:
        """The customer's store: the tenant the permissions of their fields are checked in."""
        return str(self.key[0])

    @strawberry.field(
        description=(
            "The probability (0 to 1) that the customer still buys from the store, now: from their orders "
            "and the store's purchase model (BG/NBD). Null before their first order."
        )
    )
    async def probability_active(self, info: Info) -> float | None:
        model = await info.context.loaders.purchase_models.load(self.key[0])
        return prediction.probability_active(
            model,
            orders=self.orders_count,
            first=self.first_order_at,
            last=self.last_order_at,
            now=datetime.now(UTC),
        )

    @strawberry.field(
        description=(
            "Whether their consent lets marketing SMS reach them under the store's consent rule (opt-out or "
            "opt-in); a number on the suppression list gets none either way (see smsSuppressions)."
        )
    )
    async def consents_to_marketing(self, info: Info) -> bool:
        tenant = await info.context.loaders.tenants.load(self.key[0])
        consent_mode = consent.mode(tenant) if tenant is not None else consent.OPT_IN
        return consent.consents(
            said=self.marketing_consent, source=self.consent_source, consent_mode=consent_mode
        )

    @strawberry.field(description="1 − probabilityActive: how likely the customer is lost; null with it.")
    async def churn_risk(self, info: Info) -> float | None:
        alive = await self.probability_active(info)
        return None if alive is None else 1 - alive

    @strawberry.field(
        description=(
            "When their next order is as likely as not to have come, if they are still active: from their "
            "orders and the store's purchase model. Null before a first order or beyond ten years."
        )
    )
    async def expected_next_order_at(self, info: Info) -> datetime | None:
        model = await info.context.loaders.purchase_models.load(self.key[0])
        return prediction.expected_next_order(
            model, orders=self.orders_count, first=self.first_order_at, now=datetime.now(UTC)
        )

    @strawberry.field(
        description="Their available credit, as their account last settled it; 0 without an account.",
        permission_classes=[Can("credit", "read")],
    )
    async def credit_balance(self, info: Info) -> Money:
        return Money(await info.context.loaders.credit_balances.load(self.key))

    @strawberry.field(
        description=(
            "Everything that happened to the customer, newest first: the store's events about them, "
            "their orders and refunds, credit, messages, automation runs and segments entered and left. "
            "`kinds` keeps only those kinds (null: all). `first` is capped like every list; an `after` "
            "this API did not give out is INVALID_CURSOR."
        ),
        permission_classes=TIMELINE_READ,
    )
    async def timeline(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kinds: list[TimelineKind] | None = None,
    ) -> TimelineConnection:
        tenant_id, customer_id = self.key
        return await customer_timeline(
            tenant_id,
            customer_id,
            first=first,
            after=after,
            kinds=kinds,
            cap=info.context.settings.page_size_cap,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Customer | None:
        """A gateway's reference to a customer, answered only within stores the principal may read.

        References of one request are loaded together (one query for all of them).
        """
        loaders = info.context.loaders
        customer = await loaders.customer_references.load(to_uuid(id, what="Customer"))
        if customer is None:
            return None
        loaders.customers.prime((customer.tenant_id, customer.id), customer)  # type: ignore[attr-defined]
        return cls.from_model(customer)

    @classmethod
    def from_model(cls, customer: models.Customer) -> Customer:
        return cls(
            key=(customer.tenant_id, customer.id),  # type: ignore[attr-defined]
            id=strawberry.ID(str(customer.id)),
            external_id=customer.external_id,
            phone=customer.phone,
            email=customer.email,
            first_name=customer.first_name,
            last_name=customer.last_name,
            city=customer.city,
            birthday=customer.birthday,
            birth_month=customer.birth_month,
            birth_day=customer.birth_day,
            marketing_consent=customer.marketing_consent,
            consent_source=customer.consent_source,
            orders_count=customer.orders_count,
            total_spent=customer.total_spent,
            average_order_value=customer.average_order_value,
            average_days_between_orders=customer.average_days_between_orders,
            median_days_between_orders=customer.median_days_between_orders,
            refunds_count=customer.refunds_count,
            refunded_total=customer.refunded_total,
            recency_score=customer.recency_score,
            frequency_score=customer.frequency_score,
            monetary_score=customer.monetary_score,
            lifecycle_stage=LifecycleStage(customer.lifecycle_stage),
            first_order_at=customer.first_order_at,
            last_order_at=customer.last_order_at,
            created_at=customer.created_at,
        )


@strawberry.type(description="One line of an order.")
class OrderItem:
    product_id: str
    name: str
    sku: str
    quantity: int
    total: Money
    category_ids: list[str]


@strawberry.type(description="An order as the store last described it. Amounts in minor units of currency.")
class Order:
    id: strawberry.ID
    external_id: str
    number: str
    status: str
    currency: str
    total: Money
    subtotal: Money
    discount_total: Money
    shipping_total: Money
    refunded_total: Money
    credit_used: Money
    coupon_codes: list[str]
    customer_id: strawberry.ID | None
    placed_at: datetime
    completed_at: datetime | None
    created_at: datetime
    key: strawberry.Private[tuple[UUID, UUID]]  # (tenant id, order id), for this order's loaders

    @classmethod
    def from_model(cls, order: commerce.Order) -> Order:
        customer_id = order.customer_id  # type: ignore[attr-defined]
        return cls(
            key=(order.tenant_id, order.id),  # type: ignore[attr-defined]
            id=strawberry.ID(str(order.id)),
            external_id=order.external_id,
            number=order.number,
            status=order.status,
            currency=order.currency,
            total=order.total,
            subtotal=order.subtotal,
            discount_total=order.discount_total,
            shipping_total=order.shipping_total,
            refunded_total=order.refunded_total,
            credit_used=order.credit_used,
            coupon_codes=list(order.coupon_codes),
            customer_id=strawberry.ID(str(customer_id)) if customer_id else None,
            placed_at=order.placed_at,
            completed_at=order.completed_at,
            created_at=order.created_at,
        )

    @strawberry.field(description="The order's lines.")
    async def items(self, info: Info) -> list[OrderItem]:
        rows = await info.context.loaders.order_items.load(self.key)
        return [
            OrderItem(
                product_id=row.product_id,
                name=row.name,
                sku=row.sku,
                quantity=row.quantity,
                total=row.total,
                category_ids=list(row.category_ids),
            )
            for row in rows
        ]
