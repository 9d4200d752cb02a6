"""GraphQL types of the billing context: the store's wallet, its ledger, plan, tariff and projected cost.

Every amount is in rials (IRR), whatever the store's own currency.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from domain.billing import holds, models, plans, projection, tariffs, wallet
from graph.core.scalars import Money


@strawberry.enum(description="How the store pays for what Revisit does.")
class Plan(Enum):
    PAY_AS_YOU_GO = plans.PAY_AS_YOU_GO
    ANNUAL = plans.ANNUAL


@strawberry.type(description="Why and since when the store cannot send: its SMS and journeys wait for funds.")
class WalletHold:
    reason: str = strawberry.field(description="insufficient_funds")
    since: datetime
    needed: Money = strawberry.field(description="IRR the refused charge needed of the available balance.")
    owner_notified_at: datetime | None = strawberry.field(
        description="When the owner was told by SMS; null: no owner phone was set."
    )

    @classmethod
    def from_domain(cls, hold: holds.Hold) -> WalletHold:
        return cls(
            reason=hold.reason,
            since=hold.since,
            needed=Money(hold.needed),
            owner_notified_at=hold.notified_at,
        )


@strawberry.type(description="The store's plan and the paid annual period covering now.")
class PlanState:
    plan: Plan
    period_starts_at: datetime | None
    period_ends_at: datetime | None = strawberry.field(
        description="When the paid period ends; it is renewed from the wallet then when `renews`."
    )
    renews: bool

    @classmethod
    def from_domain(cls, state: plans.PlanState) -> PlanState:
        return cls(
            plan=Plan(state.plan),
            period_starts_at=state.period_starts_at,
            period_ends_at=state.period_ends_at,
            renews=state.renews,
        )


@strawberry.type(description="The store's prepaid wallet, in IRR.")
class Wallet:
    balance: Money = strawberry.field(description="Paid in and not spent.")
    reserved: Money = strawberry.field(description="Of the balance, set aside for campaigns under way.")
    available: Money = strawberry.field(description="balance − reserved: what new work can spend.")
    currency: str = strawberry.field(description="Always IRR.")
    hold: WalletHold | None = strawberry.field(description="Set while the store cannot pay.")
    owner_phone: str | None = strawberry.field(description="Where billing notices go (E.164).")
    low_balance_threshold: Money | None = strawberry.field(
        description="The owner is warned by SMS once each time `available` falls below it."
    )
    low_balance_warned_at: datetime | None = strawberry.field(
        description="When the last warning was sent; null while available is at or above the threshold."
    )
    plan: PlanState


@strawberry.enum(description="What a wallet line did.")
class WalletEntryKind(Enum):
    TOP_UP = wallet.TOP_UP
    CHARGE = wallet.CHARGE
    RESERVATION = wallet.RESERVATION
    RELEASE = wallet.RELEASE
    REFUND = wallet.REFUND
    ADJUSTMENT = wallet.ADJUSTMENT


@strawberry.type(description="One line of the wallet's ledger; lines are never changed or removed.")
class WalletEntry:
    id: strawberry.ID
    kind: WalletEntryKind
    charge_kind: str | None = strawberry.field(
        description="For charges and refunds: sms, journey_run, subscription."
    )
    amount: Money = strawberry.field(description="The line's size, always more than zero.")
    balance_change: Money = strawberry.field(description="What it did to the balance (signed).")
    reserved_change: Money = strawberry.field(description="What it did to the reserved amount (signed).")
    unit_price: Money | None = strawberry.field(description="The price a charge used, per unit.")
    quantity: int | None = strawberry.field(description="Units charged: SMS parts, runs, periods.")
    reference: str | None = strawberry.field(description="What paid or caused it, e.g. zarinpal:<authority>.")
    key: str = strawberry.field(description="The line's idempotency key, e.g. sms:<message id>.")
    note: str
    created_at: datetime

    @classmethod
    def from_model(cls, entry: models.WalletEntry) -> WalletEntry:
        return cls(
            id=strawberry.ID(str(entry.id)),
            kind=WalletEntryKind(entry.kind),
            charge_kind=entry.charge_kind,
            amount=Money(entry.amount),
            balance_change=Money(entry.balance_delta),
            reserved_change=Money(entry.reserved_delta),
            unit_price=None if entry.unit_price is None else Money(entry.unit_price),
            quantity=entry.quantity,
            reference=entry.reference,
            key=entry.idempotency_key,
            note=entry.note,
            created_at=entry.created_at,
        )


@strawberry.type(description="A part price of one SMS provider.")
class ProviderPartPrice:
    provider: str
    part_price: Money


@strawberry.type(description="Prices in IRR, as they apply from `effectiveFrom`.")
class Tariff:
    annual_fee: Money = strawberry.field(description="The annual plan's yearly fee.")
    journey_run_price: Money = strawberry.field(description="Per journey run started, on pay as you go.")
    sms_part_price: Money = strawberry.field(description="Per SMS part, on every plan.")
    provider_part_prices: list[ProviderPartPrice] = strawberry.field(
        description="Part prices of providers priced apart from smsPartPrice."
    )
    effective_from: datetime | None = strawberry.field(description="Null: the platform's default settings.")
    source: str = strawberry.field(description="settings, platform or store (the store has its own prices).")

    @classmethod
    def from_domain(cls, tariff: tariffs.Tariff) -> Tariff:
        return cls(
            annual_fee=Money(tariff.annual_fee),
            journey_run_price=Money(tariff.journey_run_price),
            sms_part_price=Money(tariff.sms_part_price),
            provider_part_prices=[
                ProviderPartPrice(provider=name, part_price=Money(price))
                for name, price in sorted(tariff.provider_part_prices.items())
            ],
            effective_from=tariff.effective_from,
            source=tariff.source,
        )


@strawberry.type(description="One active journey's recent rates and what the projected days of it cost.")
class JourneyCost:
    automation_id: strawberry.ID
    name: str
    observed_days: int = strawberry.field(description="Days the rates were measured over (at most 30).")
    runs_per_day: float
    parts_per_day: float = strawberry.field(description="SMS parts its runs sent (or queued) per day.")
    runs: int = strawberry.field(description="Runs expected to start in the projected days.")
    parts: int = strawberry.field(description="SMS parts expected in the projected days.")
    cost: Money


@strawberry.type(
    description=(
        "What the active journeys will cost over `days`: each journey's runs started and SMS parts over the "
        "last 30 days (or since it was activated) as a daily rate, × days, × the tariff now (runs at 0 while "
        "a paid annual period covers them)."
    )
)
class JourneyCostProjection:
    days: int
    run_price: Money
    part_price: Money
    cost: Money
    journeys: list[JourneyCost]

    @classmethod
    def from_domain(cls, projected: projection.Projection) -> JourneyCostProjection:
        return cls(
            days=projected.days,
            run_price=Money(projected.run_price),
            part_price=Money(projected.part_price),
            cost=Money(projected.cost),
            journeys=[
                JourneyCost(
                    automation_id=strawberry.ID(str(journey.automation_id)),
                    name=journey.name,
                    observed_days=journey.observed_days,
                    runs_per_day=journey.runs_per_day,
                    parts_per_day=journey.parts_per_day,
                    runs=journey.runs,
                    parts=journey.parts,
                    cost=Money(journey.cost),
                )
                for journey in projected.journeys
            ],
        )


@strawberry.enum(description="Why a billing mutation was refused.")
class BillingErrorCode(Enum):
    INVALID = "INVALID"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_PLAN = "INVALID_PLAN"
    INVALID_KEY = "INVALID_KEY"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_PROVIDER = "INVALID_PROVIDER"
    INVALID_DATE = "INVALID_DATE"
    PAST_EFFECTIVE_FROM = "PAST_EFFECTIVE_FROM"
    TARIFF_IN_EFFECT = "TARIFF_IN_EFFECT"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    NOT_FOUND = "NOT_FOUND"


@strawberry.type
class BillingError:
    code: BillingErrorCode
    field: str | None
    message: str
    needed: Money | None = strawberry.field(default=None, description="INSUFFICIENT_FUNDS: IRR needed.")
    available: Money | None = strawberry.field(default=None, description="INSUFFICIENT_FUNDS: IRR available.")
