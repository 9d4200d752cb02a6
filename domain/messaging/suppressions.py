"""A store's opt-out list: phones that get no marketing SMS, with where the opt-out came from and when.

A customer opts out by texting «۱۱», «لغو» or "11" (or «لغو۱۱», the footer itself) to the line the
store's marketing came from; :func:`record_inbound` recognises those in Persian, Arabic-Indic or ASCII
digits, with any spaces, zero-width non-joiners and direction marks, and adds the sender's phone.
The owner may add a phone by hand and remove one (who did is kept in the row). Transactional SMS (a
receipt) still reach a suppressed phone; marketing to it is recorded as ``suppressed``.

One row per (store, phone): suppressing an active phone again changes nothing (the first opt-out's
time and text stay), and removing keeps the row with ``lifted_at``. An opt-out SMS received *before*
the owner removed the phone does not bring it back (inbound polls may replay old messages); one
received after does.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final
from uuid import UUID, uuid4

from tortoise import Tortoise
from tortoise.queryset import QuerySet

from domain.customers.phones import normalise_digits, normalise_phone
from domain.errors import DomainError, NotFound
from domain.messaging.models import SmsSuppression
from domain.text import unstorable

OPT_OUT_KEYWORDS: Final = frozenset({"11", "لغو", "لغو11", "stop", "unsubscribe"})
"""What an opt-out SMS says once :func:`normalise_keyword` has cleaned it."""

OWNER: Final = "owner"
MAX_KEYWORD: Final = 160

_IGNORED = re.compile(r"[\s\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u0640.,!؛،؟?]+")
"""Whitespace, zero-width characters (ZWNJ, ZWJ), direction marks, tatweel and punctuation."""
_ARABIC_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
_SOURCE = re.compile(r"[a-z0-9_:-]{1,32}")

_UPSERT = """
INSERT INTO sms_suppressions
    (id, tenant_id, phone, source, keyword, suppressed_at, added_by_user_id, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now())
ON CONFLICT (tenant_id, phone) DO UPDATE SET
    source = EXCLUDED.source, keyword = EXCLUDED.keyword, suppressed_at = EXCLUDED.suppressed_at,
    added_by_user_id = EXCLUDED.added_by_user_id, lifted_at = NULL, lifted_by_user_id = NULL,
    updated_at = now()
WHERE sms_suppressions.lifted_at IS NOT NULL AND sms_suppressions.lifted_at < EXCLUDED.suppressed_at
RETURNING id
"""

_WITHDRAW = """
UPDATE outbound_messages
SET status = 'suppressed', policy_reason = 'suppressed_number', updated_at = now(),
    failure_reason = 'opted out: the phone is on the store''s suppression list (since it was queued)'
WHERE tenant_id = $1 AND phone = $2 AND purpose = 'marketing' AND status = 'queued'
  AND claimed_until IS NULL AND outcome_unknown_at IS NULL
"""
"""Marketing still waiting for this phone (held by quiet hours or a cap) is not sent: every queued one
that no delivery has taken (one being sent, or whose outcome is unknown, may already have gone)."""


def normalise_keyword(body: str) -> str:
    """``body`` with digits in ASCII, Arabic letter forms in Persian, lower case, and no whitespace,
    zero-width characters, direction marks or punctuation: «لغو ۱۱» and "لغو\u200c11" both give «لغو11»."""
    return _IGNORED.sub("", normalise_digits(body).translate(_ARABIC_LETTERS)).casefold()


def is_opt_out(body: str) -> bool:
    """Whether an inbound SMS says nothing but an opt-out keyword."""
    return normalise_keyword(body) in OPT_OUT_KEYWORDS


def phone_of(raw: str, *, country: str) -> str:
    """``raw`` as E.164 (read as a number of ``country`` without a country code); ``INVALID_PHONE``."""
    phone = normalise_phone(raw, country)
    if phone is None:
        raise DomainError("INVALID_PHONE", "That is not a valid phone number.", field="phone")
    return phone


async def suppress(
    *,
    tenant_id: UUID,
    phone: str,
    source: str,
    keyword: str | None,
    at: datetime,
    user_id: UUID | None = None,
) -> SmsSuppression:
    """Add ``phone`` (E.164) to the store's list, or leave it as it is when it is already there.

    ``source`` is ``owner`` or the channel an opt-out came by (``[a-z0-9_:-]``, 1–32 characters);
    ``keyword`` is the text as received (cut to 160 characters). A phone the owner removed at or
    after ``at`` stays removed. Marketing to the phone still queued (held overnight, deferred by a
    cap) is suppressed with it, unless a delivery has already taken it. Runs in the caller's
    transaction; two calls at once leave one row.
    """
    if normalise_phone(phone) != phone:
        raise DomainError("INVALID_PHONE", "The phone is not in E.164 form.", field="phone")
    if not _SOURCE.fullmatch(source):
        raise DomainError("INVALID", "A source is 1 to 32 of a-z, 0-9, _, : and -.", field="source")
    if keyword is not None:  # as received: keep what PostgreSQL can store
        keyword = "".join(ch for ch in keyword if unstorable(ch) is None)[:MAX_KEYWORD]
    connection = Tortoise.get_connection("default")
    await connection.execute_query(_UPSERT, [uuid4(), tenant_id, phone, source, keyword, at, user_id])
    row = await SmsSuppression.get(tenant_id=tenant_id, phone=phone)
    if row.lifted_at is None:
        await connection.execute_query(_WITHDRAW, [tenant_id, phone])
    return row


async def record_inbound(
    *, tenant_id: UUID, phone: str, body: str, received_at: datetime, source: str
) -> bool:
    """Suppress ``phone`` when the SMS it sent (``body``) is an opt-out keyword; True when it was.

    ``phone`` is E.164; ``source`` names the channel (e.g. ``kavenegar:callback``)."""
    if not is_opt_out(body):
        return False
    await suppress(tenant_id=tenant_id, phone=phone, source=source, keyword=body, at=received_at)
    return True


async def lift(*, tenant_id: UUID, phone: str, user_id: UUID | None, at: datetime) -> SmsSuppression:
    """Remove ``phone`` from the list (kept as lifted, by ``user_id``); lifting twice changes nothing.
    ``NOT_FOUND`` when the store never suppressed it."""
    row = await SmsSuppression.get_or_none(tenant_id=tenant_id, phone=phone)
    if row is None:
        raise NotFound("Suppression", field="phone")
    await SmsSuppression.filter(tenant_id=tenant_id, phone=phone, lifted_at=None).update(
        lifted_at=at, lifted_by_user_id=user_id, updated_at=at
    )
    return await SmsSuppression.get(tenant_id=tenant_id, phone=phone)


async def is_suppressed(*, tenant_id: UUID, phone: str) -> bool:
    """Whether marketing to ``phone`` is suppressed in the store."""
    return await SmsSuppression.filter(tenant_id=tenant_id, phone=phone, lifted_at=None).exists()


def list_suppressions(
    *, tenant_id: UUID, phone: str | None = None, include_lifted: bool = False
) -> QuerySet[SmsSuppression]:
    """The store's suppressed phones, newest first; ``phone`` (E.164) narrows to one."""
    queryset = SmsSuppression.filter(tenant_id=tenant_id)
    if not include_lifted:
        queryset = queryset.filter(lifted_at=None)
    if phone is not None:
        queryset = queryset.filter(phone=phone)
    return queryset.order_by("-suppressed_at", "-id")
