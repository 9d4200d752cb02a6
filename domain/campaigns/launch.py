"""Scheduling and launching a campaign: the snapshot, the incentives, the messages and the reservation,
all in one transaction.

Launching (:func:`launch`) does, under the campaign row's lock:

1. the audience snapshot (:func:`domain.campaigns.audience.snapshot`, one statement);
2. the incentive of each treated recipient: a code of its own from the coupon template
   (:func:`domain.coupons.issuing.generate`, set-based), or credit with its expiry
   (:func:`domain.incentives.bulk_grants.grant_all`), keyed ``campaign:<id>:<customer id>``;
3. each treated recipient's message rendered (the store's variables, the «لغو۱۱» footer) and counted in
   parts, then all inserted in one statement as queued ``OutboundMessage`` rows (origin
   ``campaign:<id>:<customer id>``, ``send_after`` the first moment the campaign may send);
4. the cost — the real part count of every message × the store's SMS part price — reserved in the
   wallet under ``campaign:<id>``. When the wallet cannot pay, :class:`InsufficientFunds` is raised and
   the transaction rolls back: no recipient, code, credit or message is left behind.

A second launch (repeated or concurrent) finds the campaign launched and returns it: it launches once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.billing import tariffs, wallet
from domain.campaigns import audience, service
from domain.campaigns.lifecycle import COMPLETED, SCHEDULED, SENDING, check_move, locked
from domain.campaigns.models import Campaign
from domain.campaigns.window import next_open
from domain.coupons import issuing
from domain.coupons.issuing import MAX_GENERATE
from domain.errors import DomainError
from domain.incentives import bulk_grants, ledger
from domain.messaging import policy, templates
from domain.messaging.formatting import render_template, template_variables, with_footer
from domain.messaging.parts import count_parts
from domain.tenancy.models import Tenant
from domain.tenancy.service import get_tenant

MAX_SCHEDULE_AHEAD: Final = timedelta(days=366)


def reservation_key(campaign_id: UUID) -> str:
    return f"campaign:{campaign_id}"


def origin_key(campaign_id: UUID, customer_id: UUID) -> str:
    return f"campaign:{campaign_id}:{customer_id}"


def local_moment(value: datetime, tenant: Tenant) -> datetime:
    """A moment the owner wrote: a wall time without offset is read in the store's time zone."""
    if value.tzinfo is None:
        return value.replace(tzinfo=policy.zone(tenant)).astimezone(UTC)
    return value.astimezone(UTC)


async def schedule(*, tenant_id: UUID, campaign_id: UUID, at: datetime, now: datetime) -> Campaign:
    """Schedule a draft to launch at ``at`` (a wall time without offset is the store's local time).
    ``INVALID`` for a moment not in the future or more than a year ahead; the campaign is checked whole
    again (its segments and coupon template may have changed since it was saved)."""
    tenant = await get_tenant(tenant_id=tenant_id, field="tenantId")
    moment = local_moment(at, tenant)
    if moment <= now:
        raise DomainError("INVALID", "A schedule is a moment in the future.", field="scheduledAt")
    if moment > now + MAX_SCHEDULE_AHEAD:
        raise DomainError("INVALID", "A campaign is scheduled at most a year ahead.", field="scheduledAt")
    async with in_transaction() as connection:
        campaign = await locked(connection, tenant_id, campaign_id)
        if campaign.status == SCHEDULED and campaign.scheduled_at == moment:
            return campaign
        check_move(campaign, SCHEDULED)
        await service.validated(tenant_id=tenant_id, draft=service.draft_of(campaign), now=now)
        campaign.status, campaign.scheduled_at = SCHEDULED, moment
        await campaign.save(using_db=connection, update_fields=["status", "scheduled_at"])
    return campaign


async def launch(*, tenant_id: UUID, campaign_id: UUID, now: datetime) -> Campaign:
    """Launch a draft or scheduled campaign now (see the module). A campaign launched already is
    returned as it is. ``INVALID_STATE`` for a cancelled one; :class:`InsufficientFunds` when the
    wallet cannot pay for its messages (nothing changes); the campaign's own checks as when saved."""
    tenant = await get_tenant(tenant_id=tenant_id, field="tenantId")
    async with in_transaction() as connection:
        campaign = await locked(connection, tenant_id, campaign_id)
        if campaign.launched_at is not None:
            return campaign
        check_move(campaign, SENDING)
        await service.validated(tenant_id=tenant_id, draft=service.draft_of(campaign), now=now)
        sends_at = next_open(tenant=tenant, campaign=campaign, now=now)
        taken = await audience.snapshot(connection, tenant=tenant, campaign=campaign, sends_at=sends_at)
        await _incentives(connection, tenant, campaign, now)
        messages = await _render(connection, tenant, campaign, now)
        await _insert(connection, tenant, campaign, messages, sends_at, now)
        price = (await tariffs.tenant_tariff(tenant_id, at=now, connection=connection)).part_price()
        cost = sum(message.parts for message in messages) * price
        if cost > 0:
            await wallet.reserve(
                tenant_id, amount=cost, key=reservation_key(campaign.id), connection=connection
            )
            campaign.reservation_key = reservation_key(campaign.id)
        campaign.status = SENDING if messages else COMPLETED
        campaign.launched_at, campaign.cost_reserved = now, cost
        campaign.finished_at = None if messages else now
        campaign.recipients_count, campaign.control_count = len(messages), taken.control
        campaign.excluded_count, campaign.exclusions = taken.excluded_count, taken.excluded
        await campaign.save(using_db=connection)
    return campaign


@dataclass(frozen=True)
class _Message:
    id: UUID
    customer_id: UUID
    phone: str
    body: str
    encoding: str
    parts: int


async def _incentives(
    connection: BaseDBAsyncClient, tenant: Tenant, campaign: Campaign, now: datetime
) -> None:
    if campaign.incentive is None:
        return
    rows = await connection.execute_query_dict(_TREATED, [tenant.id, campaign.id])
    customers = [row["customer_id"] for row in rows]
    if not customers:
        return
    if campaign.incentive == "coupon":
        assert campaign.coupon_template_id is not None
        for start in range(0, len(customers), MAX_GENERATE):
            await issuing.generate(
                tenant_id=tenant.id,
                template_id=campaign.coupon_template_id,
                origin_key=reservation_key(campaign.id),
                now=now,
                customer_ids=customers[start : start + MAX_GENERATE],
            )
        return
    assert campaign.credit_amount is not None
    expires = now + timedelta(days=campaign.credit_valid_days) if campaign.credit_valid_days else None
    await bulk_grants.grant_all(
        tenant_id=tenant.id,
        grants=[
            bulk_grants.Grant(
                customer_id=customer,
                amount=campaign.credit_amount,
                kind=ledger.CREDIT,
                idempotency_key=origin_key(campaign.id, customer),
                available_at=now,
                expires_at=expires,
                note=f"campaign {campaign.name}"[:255],
            )
            for customer in customers
        ],
        now=now,
    )
    await connection.execute_query(
        "UPDATE campaign_recipients SET credit_amount = $3"
        " WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'treated'",
        [tenant.id, campaign.id, campaign.credit_amount],
    )


_TREATED: Final = """
SELECT customer_id FROM campaign_recipients
WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'treated'
ORDER BY customer_id
"""
_TO_RENDER: Final = """
SELECT r.customer_id, r.message_id, r.phone, c.first_name
FROM campaign_recipients AS r
JOIN customers AS c ON c.tenant_id = r.tenant_id AND c.id = r.customer_id
WHERE r.tenant_id = $1 AND r.campaign_id = $2 AND r.status = 'treated'
ORDER BY r.customer_id
"""
_CODES: Final = """
SELECT customer_id, code, expires_at FROM coupons WHERE tenant_id = $1 AND origin_key = ANY($2::text[])
"""
_BALANCES: Final = """
SELECT customer_id, available FROM credit_accounts WHERE tenant_id = $1 AND customer_id = ANY($2::uuid[])
"""
"""Codes and balances are read by their unique keys (one index probe each), never by a join the planner
could misjudge on rows this very transaction wrote."""


async def _render(
    connection: BaseDBAsyncClient, tenant: Tenant, campaign: Campaign, now: datetime
) -> list[_Message]:
    """Every treated recipient's message as it will be sent, with its encoding and parts."""
    shared = {"store": tenant.name}
    if campaign.incentive == "credit" and campaign.credit_amount is not None:
        shared |= templates.variables(templates.MessageFacts(credit=campaign.credit_amount), tenant)
    if campaign.incentive == "coupon" and campaign.coupon_template_id is not None:
        template = await service.coupon_template(tenant.id, campaign.coupon_template_id, now)
        shared["coupon_value"] = issuing.value_text(template, tenant)
    uses = service.allowed_variables(campaign.incentive) & template_variables(campaign.template)
    rows = await connection.execute_query_dict(_TO_RENDER, [tenant.id, campaign.id])
    customers = [row["customer_id"] for row in rows]
    codes: dict[UUID, dict[str, Any]] = {}
    if campaign.incentive == "coupon":
        keys = [origin_key(campaign.id, customer) for customer in customers]
        found = await connection.execute_query_dict(_CODES, [tenant.id, keys])
        codes = {row["customer_id"]: row for row in found}
    balances: dict[UUID, int] = {}
    if "balance" in uses:
        found = await connection.execute_query_dict(_BALANCES, [tenant.id, customers])
        balances = {row["customer_id"]: int(row["available"]) for row in found}
    expiry_text: dict[datetime | None, str] = {}
    messages = []
    for row in rows:
        customer = row["customer_id"]
        values = dict(shared)
        values["first_name"] = row["first_name"] or ""
        if "balance" in uses:
            facts = templates.MessageFacts(balance=balances.get(customer, 0))
            values |= templates.variables(facts, tenant)
        code = codes.get(customer)
        if code is not None:
            values["coupon_code"] = code["code"]
            expires = code["expires_at"]
            if expires not in expiry_text:
                expiry_text[expires] = templates.format_date(expires, tenant) if expires else "—"
            values["coupon_expiry"] = expiry_text[expires]
        text = with_footer(_fill(campaign.template, values), policy.MARKETING)
        parts = count_parts(text)
        messages.append(
            _Message(row["message_id"], customer, row["phone"], text, parts.encoding, parts.parts)
        )
    return messages


def _fill(template: str, values: dict[str, str]) -> str:
    """:func:`render_template`, fast: a template :func:`validate_template` passed holds only ``{name}``
    placeholders and ``{{`` / ``}}``, which :meth:`str.format_map` reads the same way (and never parses a
    value it inserts). Anything else is left to :func:`render_template` and its typed errors."""
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError, AttributeError):
        return render_template(template, values)


_INSERT: Final = """
INSERT INTO outbound_messages (id, tenant_id, customer_id, campaign_id, origin_key, purpose, phone, body,
                               encoding, parts, status, send_after, policy_reason, created_at, updated_at)
SELECT u.id, $1, u.customer_id, $2::uuid, 'campaign:' || $2::uuid::text || ':' || u.customer_id::text,
       'marketing',
       u.phone, u.body, u.encoding, u.parts, 'queued', $3, $4, $5, $5
FROM unnest($6::uuid[], $7::uuid[], $8::text[], $9::text[], $10::text[], $11::int[])
  AS u(id, customer_id, phone, body, encoding, parts)
ON CONFLICT DO NOTHING
"""


async def _insert(
    connection: BaseDBAsyncClient,
    tenant: Tenant,
    campaign: Campaign,
    messages: list[_Message],
    sends_at: datetime,
    now: datetime,
) -> None:
    if not messages:
        return
    await connection.execute_query(
        _INSERT,
        [
            tenant.id,
            campaign.id,
            sends_at,
            policy.QUIET_HOURS
            if policy.next_send_time(tenant=tenant, purpose=policy.MARKETING, now=now) > now
            else None,
            now,
            [message.id for message in messages],
            [message.customer_id for message in messages],
            [message.phone for message in messages],
            [message.body for message in messages],
            [message.encoding for message in messages],
            [message.parts for message in messages],
        ],
    )
