"""Issuing codes from a template: one (:func:`issue`, for a journey step or the owner's hand), many at
once (:func:`generate`: shared codes, or one per customer), and revoking them.

Every issue has an idempotency key (``origin_key``, unique per store): issuing again with the same key
answers with the code the first call made, so a retried journey step or a repeated request never hands
out two. Bulk generation keys code *i* of a request ``<key>:<i>`` (shared) or ``<key>:<customer id>``
(per customer), so repeating it makes only what is missing.

Codes are inserted in one set-based statement (``INSERT … SELECT FROM unnest … ON CONFLICT DO
NOTHING``); the unique (tenant, code) index settles collisions, also with concurrent requests, and a
collided code is drawn again. Ids are time-ordered (UUIDv7), so a bulk insert appends to the indexes
that lead with the id or the issue time rather than writing all over them. A code's expiry is fixed
when it is issued: the template's date, or ``valid_days`` after the issue, whichever comes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from tortoise import connections

from domain.coupons import codes
from domain.coupons.models import Coupon, CouponTemplate
from domain.coupons.service import get as get_template
from domain.errors import DomainError, NotFound
from domain.messaging.formatting import arabic_digits, format_money, persian_digits
from domain.tenancy.models import Tenant

MAX_ORIGIN_KEY: Final = 160
"""The longest idempotency key a caller may give (the stored key adds up to 40 characters)."""
MAX_GENERATE: Final = 100_000
"""Codes one :func:`generate` call makes."""
MAX_DRAWS: Final = 8
"""Rounds of drawing again for collided codes before giving up (each round collides ~10⁻⁷ per code)."""


@dataclass(frozen=True)
class CouponFacts:
    """What a message says about a code: the code, what it gives in the store's words, until when."""

    code: str
    value_text: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Generated:
    """The outcome of a bulk generation: codes made by this call, and codes earlier calls with the same
    key had made already (a repeat)."""

    created: int
    existing: int


def expiry(template: CouponTemplate, issued_at: datetime) -> datetime | None:
    """When a code issued at ``issued_at`` stops working: the earlier of the template's date and
    ``valid_days`` after the issue; None when neither is set."""
    candidates = [template.expires_at] if template.expires_at else []
    if template.valid_days:
        candidates.append(issued_at + timedelta(days=template.valid_days))
    return min(candidates) if candidates else None


def _issuable(template: CouponTemplate, now: datetime) -> None:
    if template.archived_at is not None:
        raise DomainError(
            "TEMPLATE_ARCHIVED", "The template is archived: it issues no codes.", field="templateId"
        )
    if template.expires_at is not None and template.expires_at <= now:
        raise DomainError(
            "TEMPLATE_EXPIRED", "The template's codes have expired already.", field="templateId"
        )


def _origin(origin_key: str) -> str:
    key = origin_key.strip()
    if not key or len(key) > MAX_ORIGIN_KEY or "\x00" in key:
        raise DomainError("INVALID", f"An origin key is 1 to {MAX_ORIGIN_KEY} characters.", field="originKey")
    return key


async def issue(
    *, tenant_id: UUID, template_id: UUID, customer_id: UUID | None, origin_key: str, now: datetime
) -> Coupon:
    """One code from the template, for ``customer_id`` (only they may use it) or shared (None).

    Idempotent on ``origin_key``: a repeat returns the first coupon, whatever the other arguments say.
    Runs inside the caller's transaction. Raises ``NOT_FOUND`` (template, customer), ``TEMPLATE_ARCHIVED``,
    ``TEMPLATE_EXPIRED`` and ``INVALID`` (a blank or overlong key).
    """
    key = _origin(origin_key)
    earlier = await Coupon.get_or_none(tenant_id=tenant_id, origin_key=key)
    if earlier is not None:
        return earlier
    template = await get_template(tenant_id=tenant_id, template_id=template_id)
    _issuable(template, now)
    if customer_id is not None:
        await _require_customers(tenant_id, [customer_id])
    await _insert(tenant_id, template, [key], [customer_id], now)
    coupon = await Coupon.get_or_none(tenant_id=tenant_id, origin_key=key)
    if coupon is None:  # pragma: no cover - _insert raises when it cannot place a code
        raise DomainError("INTERNAL", "The coupon could not be issued.")
    return coupon


async def generate(
    *,
    tenant_id: UUID,
    template_id: UUID,
    origin_key: str,
    now: datetime,
    count: int | None = None,
    customer_ids: Sequence[UUID] | None = None,
) -> Generated:
    """``count`` shared codes, or one code for each of ``customer_ids`` (exactly one of the two), in one
    statement (more only when codes collide). Repeating the call with the same ``origin_key`` makes only
    the codes still missing. Raises ``INVALID`` (a count or list outside 1..100,000, both or neither),
    ``NOT_FOUND`` (template; a customer not in the store), ``TEMPLATE_ARCHIVED``, ``TEMPLATE_EXPIRED``."""
    key = _origin(origin_key)
    if (count is None) == (customer_ids is None):
        raise DomainError("INVALID", "Give either a number of shared codes or the customers.", field="count")
    template = await get_template(tenant_id=tenant_id, template_id=template_id)
    _issuable(template, now)
    if customer_ids is not None:
        wanted = list(dict.fromkeys(customer_ids))
        if not 1 <= len(wanted) <= MAX_GENERATE:
            raise DomainError("INVALID", f"Name 1 to {MAX_GENERATE:,} customers.", field="customerIds")
        await _require_customers(tenant_id, wanted)
        keys = [f"{key}:{customer}" for customer in wanted]
        owners: list[UUID | None] = list(wanted)
    else:
        assert count is not None
        if not 1 <= count <= MAX_GENERATE:
            raise DomainError("INVALID", f"Generate 1 to {MAX_GENERATE:,} codes at a time.", field="count")
        keys = [f"{key}:{index}" for index in range(count)]
        owners = [None] * count
    if await _issued_already(tenant_id, keys):
        return Generated(created=0, existing=len(keys))
    created = await _insert(tenant_id, template, keys, owners, now)
    return Generated(created=created, existing=len(keys) - created)


async def _issued_already(tenant_id: UUID, keys: Sequence[str]) -> bool:
    """Whether every key was issued before (a repeated request): one probe when the first key is new,
    as it is on a first request; the count of all of them only when it is not."""
    connection = connections.get("default")
    if not await connection.execute_query_dict(_TAKEN + " LIMIT 1", [tenant_id, [keys[0]]]):
        return False
    [row] = await connection.execute_query_dict(
        "SELECT count(*) AS issued FROM coupons WHERE tenant_id = $1 AND origin_key = ANY($2::text[])",
        [tenant_id, list(keys)],
    )
    return int(row["issued"]) == len(keys)


_INSERT = """
INSERT INTO coupons (id, tenant_id, template_id, code, customer_id, origin_key, issued_at, expires_at,
                     redemptions_count)
SELECT (lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
        || '7' || lpad(to_hex(u.n >> 8), 3, '0') || '8' || lpad(to_hex(u.n & 255), 2, '0')
        || substr(md5(random()::text || u.code), 1, 13))::uuid,
       $1, $2, u.code, u.customer_id, u.origin_key, $3, $4, 0
FROM unnest($5::text[], $6::uuid[], $7::text[]) WITH ORDINALITY AS u(code, customer_id, origin_key, n)
ON CONFLICT DO NOTHING
RETURNING origin_key
"""
"""Ids are UUIDv7-shaped and made here: the time in ms, the row's place in the batch (up to 2²⁰), 52
random bits; so one batch's ids ascend and two batches never share one."""
_TAKEN = "SELECT origin_key FROM coupons WHERE tenant_id = $1 AND origin_key = ANY($2::text[])"


async def _insert(
    tenant_id: UUID,
    template: CouponTemplate,
    keys: Sequence[str],
    owners: Sequence[UUID | None],
    now: datetime,
) -> int:
    """Insert a code for each (key, owner) whose key is not issued yet; returns how many were made.

    A row the insert skipped either has its key issued already (an earlier or concurrent call) or drew a
    code the store already has: those are drawn again, at most :data:`MAX_DRAWS` times."""
    connection = connections.get("default")
    pending = dict(zip(keys, owners, strict=True))
    expires_at = expiry(template, now)
    created = 0
    for _ in range(MAX_DRAWS):
        batch = list(pending)
        drawn = codes.draw(len(batch), prefix=template.code_prefix)
        rows = await connection.execute_query_dict(
            _INSERT,
            [
                tenant_id,
                template.id,
                now,
                expires_at,
                drawn,
                [pending[origin] for origin in batch],
                batch,
            ],
        )
        created += len(rows)
        for row in rows:
            pending.pop(row["origin_key"])
        if pending:
            taken = await connection.execute_query_dict(_TAKEN, [tenant_id, list(pending)])
            for row in taken:
                pending.pop(row["origin_key"])
        if not pending:
            return created
    raise DomainError(
        "CODES_EXHAUSTED",
        "Too few codes are left with this prefix; choose a longer or another prefix.",
        field="templateId",
    )


async def _require_customers(tenant_id: UUID, customer_ids: Sequence[UUID]) -> None:
    rows = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS found FROM customers WHERE tenant_id = $1 AND id = ANY($2::uuid[])",
        [tenant_id, list(customer_ids)],
    )
    if int(rows[0]["found"]) != len(customer_ids):
        raise NotFound("Customer", field="customerId" if len(customer_ids) == 1 else "customerIds")


async def get(*, tenant_id: UUID, coupon_id: UUID) -> Coupon:
    coupon = await Coupon.get_or_none(tenant_id=tenant_id, id=coupon_id)
    if coupon is None:
        raise NotFound("Coupon")
    return coupon


async def revoke(*, tenant_id: UUID, coupon_id: UUID, now: datetime) -> Coupon:
    """Stop a code from working from now on; revoking again changes nothing. Orders that used it keep
    their redemption."""
    coupon = await get(tenant_id=tenant_id, coupon_id=coupon_id)
    if coupon.revoked_at is None:
        coupon.revoked_at = now
        await coupon.save(update_fields=["revoked_at"])
    return coupon


_FREE_SHIPPING = {"fa": "ارسال رایگان", "ar": "شحن مجاني", "en": "free shipping"}
_PERCENT = {"fa": "{value}٪", "ar": "{value}٪", "en": "{value}%"}


def value_text(template: CouponTemplate, tenant: Tenant) -> str:
    """What a code gives, in the store's language: ``۱۵٪``, ``۵۰٬۰۰۰ تومان``, ``ارسال رایگان``."""
    language = tenant.locale.split("-")[0].split("_")[0].lower()
    language = language if language in _PERCENT else "en"
    if template.kind == "free_shipping":
        return _FREE_SHIPPING[language]
    if template.kind == "fixed":
        return format_money(template.value, tenant.currency, language)
    digits = {"fa": persian_digits, "ar": arabic_digits}.get(language, str)
    return _PERCENT[language].format(value=digits(str(template.value)))


def describe(coupon: Coupon, template: CouponTemplate, tenant: Tenant) -> CouponFacts:
    """The code, what it gives and until when, for a message to the customer."""
    return CouponFacts(
        code=coupon.code, value_text=value_text(template, tenant), expires_at=coupon.expires_at
    )
