"""Factories for journey tests: journeys from raw definitions, runs enrolled and advanced.

Stores, customers and orders come from :mod:`tests.support.automation`; coupon templates from
:mod:`tests.support.coupons`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from domain.automation import service as journeys
from domain.automation.enrolment import Candidate, EnrolledRun, enrol
from domain.automation.models import Automation, AutomationRun, AutomationStepEvent
from domain.automation.poller import PollResult, drain
from domain.customers.models import Customer
from domain.tenancy.models import Tenant
from tests.support.automation import NOW

_numbers = itertools.count(1)


def winback(template_id: UUID, **changes: Any) -> dict[str, Any]:
    """The issue's scenario: 60 days after the last order, a code valid for 7 days; 3 days later, if
    they have not ordered, a reminder; stop as soon as they order."""
    return {
        "trigger": {"type": "days_since_last_order", "min_days": 60, "max_days": 90},
        "entry": {"mode": "once_per_order"},
        "steps": [
            {"id": "ordered", "type": "exit_if", "if": {"type": "ordered_since_enrolment"}},
            {"id": "code", "type": "issue_coupon", "template_id": str(template_id)},
            {
                "id": "offer",
                "type": "send_sms",
                "purpose": "marketing",
                "template": "{first_name}، {coupon_value} تخفیف با کد {coupon_code} تا {coupon_expiry}",
            },
            {"id": "pause", "type": "wait", "duration": {"days": 3}},
            {
                "id": "reminder",
                "type": "send_sms",
                "purpose": "marketing",
                "when_capped": "defer",
                "template": "یادآوری: کد {coupon_code} تا {coupon_expiry} اعتبار دارد",
            },
        ],
        **changes,
    }


async def make_journey(
    tenant: Tenant, raw: dict[str, Any], *, active: bool = True, name: str | None = None
) -> Automation:
    """A journey of ``raw`` (validated against the store), activated unless ``active`` is False."""
    definition = await journeys.validated(tenant_id=tenant.id, raw=raw)
    journey = await journeys.create(
        tenant_id=tenant.id, name=name or f"Journey {next(_numbers)}", definition=definition
    )
    if active:
        journey = await journeys.activate(tenant_id=tenant.id, automation_id=journey.id, now=NOW)
    return journey


async def enrol_customers(
    journey: Automation,
    customers: Sequence[Customer],
    *,
    key: str = "occasion",
    now: datetime = NOW,
    **facts: Any,
) -> list[EnrolledRun]:
    """Enrol ``customers`` as a date trigger would, in a transaction of its own."""
    candidates = [Candidate(c.id, key, facts=dict(facts)) for c in customers]
    async with in_transaction():
        return await enrol(tenant_id=journey.tenant_id, automation=journey, candidates=candidates, now=now)  # type: ignore[attr-defined]


async def advance_all(tenant: Tenant, *, now: datetime) -> PollResult:
    """What the poller does at ``now`` for the store."""
    return await drain(tenant_id=tenant.id, now=now)


async def outcomes(run_id: UUID) -> list[tuple[str, str]]:
    """(step id, outcome) of each step event of a run, in order."""
    events = await AutomationStepEvent.filter(run_id=run_id).order_by("occurred_at", "id")
    return [(event.step_id, event.outcome) for event in events]


async def run_of(journey: Automation, customer: Customer) -> AutomationRun:
    return await AutomationRun.get(automation_id=journey.id, customer_id=customer.id)
