"""What each step does to one run's customer, and what it reports.

Every effect is idempotent on the step's own key ``run:<run id>:step:<step id>`` (the credit entry,
the outbound message, the coupon), so a step is never done twice even if a run were ever rewound. The
engine calls :func:`execute` inside a savepoint together with the run's new position and the step's
``automation_step_events`` row, so a step is either done and recorded or not done at all.

A step that cannot apply to this customer (no phone, zero cashback, a date the customer lacks) is
``skipped`` with the reason and the run goes on; a step whose effect is refused (an archived coupon
template) raises ``DomainError`` and the run fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from tortoise import Tortoise

from domain.automation import checks
from domain.automation.definition import (
    END,
    AddTagStep,
    AnyStep,
    BranchStep,
    ExitIfStep,
    GrantCashbackStep,
    GrantCreditStep,
    IssueCouponStep,
    JourneyDefinition,
    RemoveTagStep,
    SendSmsStep,
    WaitStep,
)
from domain.automation.waits import CustomerDates, wait_end
from domain.commerce.models import Order
from domain.coupons import issuing
from domain.coupons.models import Coupon, CouponTemplate
from domain.customers.models import Customer
from domain.errors import DomainError
from domain.incentives import ledger
from domain.messaging import service as messaging
from domain.messaging import templates
from domain.tenancy.models import Tenant

DONE: Final = "done"
SKIPPED: Final = "skipped"
FAILED: Final = "failed"
EXITED: Final = "exited"
WAITING: Final = "waiting"
OUTCOMES: Final = (DONE, SKIPPED, FAILED, EXITED, WAITING)

MAX_TAGS: Final = 100
"""The most tags a customer carries; adding one more is skipped."""


@dataclass(frozen=True)
class Subject:
    """What one run's steps act on."""

    tenant: Tenant
    customer: Customer
    order: Order | None


@dataclass(frozen=True)
class Outcome:
    """What a step did: its outcome, where the run goes next and what the customer was given.

    ``jump`` is the id of the next step, ``END`` to complete the run, or None for the following step.
    ``until`` is set when the run waits. ``deliver`` is a message to hand to delivery after commit."""

    outcome: str = DONE
    jump: str | None = None
    until: datetime | None = None
    message_id: UUID | None = None
    deliver: UUID | None = None
    credit_amount: int = 0
    coupon_id: UUID | None = None
    note: str = ""
    context: dict[str, Any] | None = None
    """The run's context after the step, when the step changed it."""


def step_key(run_id: UUID, step_id: str) -> str:
    """The idempotency key of one step of one run."""
    return f"run:{run_id}:step:{step_id}"


async def execute(
    step: AnyStep, *, run_id: UUID, context: dict[str, Any], subject: Subject, now: datetime
) -> Outcome:
    """Carry out ``step`` for the run at ``now``."""
    key = step_key(run_id, step.id)
    if isinstance(step, WaitStep):
        return _wait(step, context=context, subject=subject, now=now)
    if isinstance(step, SendSmsStep):
        return await _send_sms(step, key=key, context=context, subject=subject, now=now)
    if isinstance(step, GrantCashbackStep | GrantCreditStep):
        return await _grant(step, key=key, context=context, subject=subject, now=now)
    if isinstance(step, IssueCouponStep):
        return await _issue_coupon(step, key=key, context=context, subject=subject, now=now)
    if isinstance(step, BranchStep):
        held = await checks.holds(
            step.if_,
            tenant_id=subject.tenant.id,
            customer_id=subject.customer.id,
            context=context,
            order_id=subject.order.id if subject.order else None,
            now=now,
        )
        target = step.then if held else step.else_
        return Outcome(jump=target, note=f"{'then' if held else 'else'} → {target or 'next step'}")
    if isinstance(step, ExitIfStep):
        return Outcome(note="Goal not reached.")  # goals are checked before every step
    return await _tag(step, subject=subject)


def _wait(step: WaitStep, *, context: dict[str, Any], subject: Subject, now: datetime) -> Outcome:
    customer, facts = subject.customer, context.get("facts") or {}
    dates = CustomerDates(
        birth_month=customer.birth_month,
        birth_day=customer.birth_day,
        first_order_at=customer.first_order_at,
        coupon_expires_at=_moment(context.get("coupon_expires_at") or facts.get("expires_at"))
        if context.get("coupon_id") or facts.get("coupon_id")
        else None,
        credit_expires_at=_moment(context.get("credit_expires_at") or facts.get("expires_at"))
        if context.get("credit_expires_at") or facts.get("trigger") == "credit_expiring"
        else None,
    )
    end = wait_end(
        step, now=now, timezone=subject.tenant.timezone, calendar=subject.tenant.calendar, dates=dates
    )
    if end.until is None:
        return Outcome(SKIPPED, note=end.reason)
    if end.until <= now:
        return Outcome(DONE, note="The moment has passed; no wait.")
    return Outcome(WAITING, until=end.until, note=f"Until {end.until.isoformat()}.")


async def _send_sms(
    step: SendSmsStep, *, key: str, context: dict[str, Any], subject: Subject, now: datetime
) -> Outcome:
    tenant, customer = subject.tenant, subject.customer
    if not customer.phone:
        return Outcome(SKIPPED, note="The customer has no phone.")
    facts = await message_facts(step, context=context, subject=subject, now=now)
    try:
        body = templates.render(step.template, templates.variables(facts, tenant))
        message = await messaging.queue_sms(
            tenant=tenant,
            customer=customer,
            origin_key=key,
            purpose=step.purpose,
            body=body,
            now=now,
            when_capped=step.when_capped,
        )
    except DomainError as exc:
        if exc.code in ("MISSING_VALUE", "NO_PHONE", "INVALID_PHONE"):
            return Outcome(SKIPPED, note=f"{exc.message} ({exc.code})")
        raise
    updated = {**context, "messages": [*context.get("messages", []), str(message.id)]}
    if message.status == messaging.QUEUED:
        return Outcome(DONE, message_id=message.id, deliver=message.id, context=updated)
    reason = getattr(message, "policy_reason", None) or message.failure_reason or message.status
    return Outcome(SKIPPED, message_id=message.id, note=f"Not sent: {reason}.", context=updated)


async def message_facts(
    step: SendSmsStep, *, context: dict[str, Any], subject: Subject, now: datetime
) -> templates.MessageFacts:
    """The facts a message of this run may say: the credit this run granted (or the expiring credit
    the trigger is about), the balance, the coupon this run issued (or the expiring one), the days
    since the last order and the step's link."""
    tenant, customer, facts = subject.tenant, subject.customer, context.get("facts") or {}
    used = step.variables()
    credit = int(context.get("cashback", 0)) + int(context.get("credit", 0))
    if not credit and facts.get("trigger") == "credit_expiring":
        credit = int(facts.get("amount") or 0)
    balance = None
    if "balance" in used:
        balance = (await ledger.balances(tenant_id=tenant.id, customer_id=customer.id, now=now)).total
    code = value = expiry = None
    coupon_id = context.get("coupon_id") or facts.get("coupon_id")
    if coupon_id and used & {"coupon_code", "coupon_value", "coupon_expiry"}:
        coupon = await Coupon.get_or_none(tenant_id=tenant.id, id=UUID(str(coupon_id)))
        if coupon is not None:
            template = await CouponTemplate.get(tenant_id=tenant.id, id=coupon.template_id)  # type: ignore[attr-defined]
            described = issuing.describe(coupon, template, tenant)
            code, value, expiry = described.code, described.value_text, described.expires_at
    days = None
    if customer.last_order_at is not None:
        days = max((now - customer.last_order_at).days, 0)
    return templates.MessageFacts(
        first_name=customer.first_name,
        credit=credit,
        balance=balance,
        coupon_code=code,
        coupon_value=value,
        coupon_expiry=expiry,
        days_since_last_order=days,
        link=step.link,
    )


@dataclass(frozen=True)
class PlannedGrant:
    """The ledger entry a grant step gives its run's customer (see :func:`plan_grant`)."""

    kind: str
    amount: int
    available_at: datetime
    expires_at: datetime | None
    order_id: UUID | None
    note: str


def plan_grant(
    step: GrantCashbackStep | GrantCreditStep, *, subject: Subject, now: datetime
) -> PlannedGrant | None:
    """What a ``grant_cashback`` or ``grant_credit`` step grants at ``now`` (None: cashback came to
    zero). ``ORDER_MISSING`` when a cashback run's order is gone. One definition for the run-by-run
    path and the poll batch's set-based one (:mod:`domain.incentives.bulk_grants`)."""
    if isinstance(step, GrantCreditStep):
        expires_at = now + timedelta(days=step.expires_after_days) if step.expires_after_days else None
        return PlannedGrant(ledger.CREDIT, step.amount, now, expires_at, None, "Journey credit")
    order = subject.order
    if order is None:
        raise DomainError("ORDER_MISSING", "The order this run was enrolled for no longer exists.")
    amount = step.cashback(
        total=order.total, shipping_total=order.shipping_total, refunded_total=order.refunded_total
    )
    if amount == 0:
        return None
    available_at = now + timedelta(days=step.available_after_days)
    expires_at = available_at + timedelta(days=step.expires_after_days) if step.expires_after_days else None
    note = f"Cashback for order {order.number or order.external_id}"
    return PlannedGrant(ledger.CASHBACK, amount, available_at, expires_at, order.id, note)


def granted(planned: PlannedGrant, *, amount: int, context: dict[str, Any]) -> Outcome:
    """The outcome of a grant step whose entry (written now or before, on its key) is ``amount``."""
    name = "cashback" if planned.kind == ledger.CASHBACK else "credit"
    updated = {**context, name: int(context.get(name, 0)) + amount}
    if planned.expires_at is not None:
        updated["credit_expires_at"] = planned.expires_at.isoformat()
    return Outcome(DONE, credit_amount=amount, context=updated)


async def _grant(
    step: GrantCashbackStep | GrantCreditStep,
    *,
    key: str,
    context: dict[str, Any],
    subject: Subject,
    now: datetime,
) -> Outcome:
    planned = plan_grant(step, subject=subject, now=now)
    if planned is None:
        return Outcome(SKIPPED, note="Cashback came to zero; nothing granted.")
    entry = await ledger.grant(
        tenant_id=subject.tenant.id,
        customer_id=subject.customer.id,
        amount=planned.amount,
        kind=planned.kind,
        idempotency_key=key,
        available_at=planned.available_at,
        expires_at=planned.expires_at,
        order_id=planned.order_id,
        note=planned.note,
        now=now,
    )
    return granted(planned, amount=entry.amount, context=context)


async def _issue_coupon(
    step: IssueCouponStep, *, key: str, context: dict[str, Any], subject: Subject, now: datetime
) -> Outcome:
    coupon = await issuing.issue(
        tenant_id=subject.tenant.id,
        template_id=step.template_id,
        customer_id=subject.customer.id,
        origin_key=key,
        now=now,
    )
    updated = {
        **context,
        "coupon_id": str(coupon.id),
        "coupon_expires_at": coupon.expires_at.isoformat() if coupon.expires_at else None,
    }
    return Outcome(DONE, coupon_id=coupon.id, context=updated, note=f"Code {coupon.code}.")


_ADD_TAG = """
UPDATE customers SET tags = tags || to_jsonb($3::text), updated_at = now()
WHERE tenant_id = $1 AND id = $2 AND NOT (tags ? $3) AND jsonb_array_length(tags) < $4
RETURNING id
"""
_HAS_TAG = "SELECT tags ? $3 AS has FROM customers WHERE tenant_id = $1 AND id = $2"
_REMOVE_TAG = """
UPDATE customers SET tags = tags - $3, updated_at = now()
WHERE tenant_id = $1 AND id = $2 AND tags ? $3
RETURNING id
"""


async def _tag(step: AddTagStep | RemoveTagStep, *, subject: Subject) -> Outcome:
    connection = Tortoise.get_connection("default")
    arguments = [subject.tenant.id, subject.customer.id, step.tag]
    if isinstance(step, RemoveTagStep):
        removed = await connection.execute_query_dict(_REMOVE_TAG, arguments)
        return Outcome(DONE if removed else SKIPPED, note="" if removed else "The customer lacks the tag.")
    added = await connection.execute_query_dict(_ADD_TAG, [*arguments, MAX_TAGS])
    if added:
        return Outcome(DONE)
    [row] = await connection.execute_query_dict(_HAS_TAG, arguments)
    if row["has"]:
        return Outcome(SKIPPED, note="The customer has the tag already.")
    return Outcome(SKIPPED, note=f"The customer has {MAX_TAGS} tags, the most they may carry.")


def next_step_id(definition: JourneyDefinition, index: int, outcome: Outcome) -> str | None:
    """The id of the step after ``index`` given the outcome (None: the run is complete)."""
    if outcome.jump == END:
        return None
    if outcome.jump is not None:
        return outcome.jump
    following = index + 1
    return definition.steps[following].id if following < len(definition.steps) else None


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
