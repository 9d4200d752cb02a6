"""The demo store's coupons and journeys: a win-back with a 15 % code and a reminder, a birthday gift.

Made through the same services the API calls, after the store's history and segments exist, and then
today's date-trigger pass runs once so the journeys have customers in them when ``revisit dev`` opens
(the worker sends their messages, within the store's quiet hours and frequency caps).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from domain.automation import service as journeys
from domain.automation.date_triggers import run_pass
from domain.automation.models import Automation
from domain.coupons import service as coupon_templates
from domain.tenancy.models import Tenant

WINBACK_COUPON = "کد ۱۵٪ بازگشت"
WINBACK_NAME = "بازگشت مشتریان: ۶۰ روز پس از آخرین خرید"
BIRTHDAY_NAME = "هدیهٔ تولد"


def _winback_coupon() -> dict[str, Any]:
    return {
        "name": WINBACK_COUPON,
        "description": "15 % off, one use per customer, valid 7 days from issue.",
        "kind": "percent",
        "value": 15,
        "maximum_discount": 300_000,
        "usage_limit_per_customer": 1,
        "valid_days": 7,
        "code_prefix": "BACK",
    }


def _winback(template_id: UUID) -> dict[str, Any]:
    """60 days after the last order, text a 15 % code valid for 7 days; 3 days later, if they have not
    ordered, remind them; stop as soon as they order."""
    return {
        "schema_version": 2,
        "trigger": {"type": "days_since_last_order", "min_days": 60, "max_days": 120},
        "entry": {"mode": "once_per_days", "days": 90},
        "attribution_days": 7,
        "steps": [
            {"id": "goal", "type": "exit_if", "if": {"type": "ordered_since_enrolment"}},
            {"id": "code", "type": "issue_coupon", "template_id": str(template_id)},
            {
                "id": "offer",
                "type": "send_sms",
                "purpose": "marketing",
                "when_capped": "defer",
                "template": (
                    "{first_name} عزیز، دلمان برایتان تنگ شده! با کد {coupon_code} {coupon_value} تخفیف"
                    " در {store} بگیرید؛ تا {coupon_expiry} معتبر است."
                ),
            },
            {"id": "pause", "type": "wait", "duration": {"days": 3}},
            {"id": "morning", "type": "wait", "until_time": "10:00"},
            {
                "id": "reminder",
                "type": "send_sms",
                "purpose": "marketing",
                "when_capped": "skip",
                "template": "{first_name} عزیز، کد {coupon_code} شما تا {coupon_expiry} فرصت دارد.",
            },
        ],
    }


BIRTHDAY: dict[str, Any] = {
    "schema_version": 2,
    "trigger": {"type": "birthday", "days_before": 0},
    "entry": {"mode": "once_per_days", "days": 300},
    "steps": [
        {"id": "gift", "type": "grant_credit", "amount": 100_000, "expires_after_days": 14},
        {
            "id": "wish",
            "type": "send_sms",
            "purpose": "marketing",
            "when_capped": "defer",
            "template": "{first_name} عزیز، تولدتان مبارک! {credit} اعتبار هدیه در {store} منتظر شماست.",
        },
    ],
}


async def add_journeys(tenant_id: UUID, now: datetime) -> int:
    """Create and activate the demo's journeys (those missing), then run today's date-trigger pass;
    return how many customers it enrolled."""
    async with in_transaction():
        template = await coupon_templates.create(
            tenant_id=tenant_id, template_in=coupon_templates.parse(_winback_coupon())
        )
        for name, raw in ((WINBACK_NAME, _winback(template.id)), (BIRTHDAY_NAME, BIRTHDAY)):
            if await Automation.filter(tenant_id=tenant_id, name=name).exists():
                continue
            definition = await journeys.validated(tenant_id=tenant_id, raw=raw)
            journey = await journeys.create(tenant_id=tenant_id, name=name, definition=definition)
            await journeys.activate(tenant_id=tenant_id, automation_id=journey.id, now=now)
    tenant = await Tenant.get(id=tenant_id)
    day = now.astimezone(ZoneInfo(tenant.timezone)).date()
    return len((await run_pass(tenant_id=tenant_id, day=day, now=now)).enrolled)
