"""What billing tells a store's owner by SMS: the store is on hold, the balance is low, the plan lapsed.

Each notice goes to the store's ``owner_phone`` through :func:`domain.messaging.service.queue_to_phone`,
transactional, with an ``origin_key`` starting ``billing:`` — so it is sent once per occasion, even when
the wallet is empty, and never charged (:mod:`domain.billing.charging`). A store without an owner phone
gets no SMS; the same facts are in GraphQL (``wallet``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from domain.messaging.models import OutboundMessage
from domain.messaging.policy import TRANSACTIONAL
from domain.messaging.service import queue_to_phone
from domain.tenancy.models import Tenant

ORIGIN_PREFIX: Final = "billing:"
"""Owner notices' origin keys start so; they cost the store nothing."""

_TEXTS: Final = {
    "hold": {
        "fa": "ریویزیت: کیف پول «{store}» خالی است و پیامک‌ها و سفرهای مشتری متوقف شده‌اند. "
        "با شارژ کیف پول همه‌چیز خودکار ادامه می‌یابد.",
        "en": "Revisit: the wallet of {store} is empty, so its SMS and journeys are on hold. "
        "Top it up and everything resumes by itself.",
    },
    "low_balance": {
        "fa": "ریویزیت: موجودی کیف پول «{store}» به {available} ریال رسید (کمتر از {threshold}).",
        "en": "Revisit: the wallet of {store} is down to {available} IRR (below {threshold}).",
    },
    "plan_lapsed": {
        "fa": "ریویزیت: اشتراک سالانه «{store}» تمدید نشد (موجودی کافی نبود). "
        "از این پس هر اجرای سفر جداگانه محاسبه می‌شود.",
        "en": "Revisit: the annual plan of {store} could not be renewed (not enough in the wallet). "
        "Journey runs are now charged one by one.",
    },
}


def origin_key(occasion: str, tenant: Tenant, at: datetime) -> str:
    """The notice's origin: one per store, occasion and moment (a hold's start, a crossing, a period)."""
    return f"{ORIGIN_PREFIX}{occasion}:{tenant.id}:{int(at.timestamp() * 1000)}"


def is_notice(origin: str) -> bool:
    """Whether a message is an owner notice (which is never charged)."""
    return origin.startswith(ORIGIN_PREFIX)


async def notify_owner(
    tenant: Tenant, occasion: str, *, at: datetime, now: datetime, **values: int
) -> OutboundMessage | None:
    """Queue the ``occasion`` notice (``hold``, ``low_balance``, ``plan_lapsed``) to the owner's phone, once
    for ``at``; None when the store has no owner phone."""
    if not tenant.owner_phone:
        return None
    texts = _TEXTS[occasion]
    text = texts["fa"] if tenant.locale.startswith("fa") else texts["en"]
    body = text.format(store=tenant.name, **{name: f"{value:,}" for name, value in values.items()})
    return await queue_to_phone(
        tenant=tenant,
        phone=tenant.owner_phone,
        origin_key=origin_key(occasion, tenant, at),
        purpose=TRANSACTIONAL,
        body=body,
        now=now,
    )
