"""The demo store ``revisit dev`` opens with, built through the product's own services.

An owner, a Persian store in toman, an access key, 18 months of synthetic customers and orders sent
through the same ingestion the REST endpoint uses, the store's scores, stages and built-in lifecycle
segments with two segments of its own, a wallet with an opening top-up, a 15 % win-back coupon, a
win-back and a birthday journey (today's date triggers run once), a campaign to the «loyal but late»
segment with a code each and a control group, and an active 5 % cashback automation. Seeding is
idempotent: a finished demo store is left alone, and a run interrupted half-way picks up where it
stopped (events are keyed by id, so sending them again only finds duplicates).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from domain.automation import service as automations
from domain.automation.definition import JourneyDefinition
from domain.automation.models import Automation
from domain.events.models import IngestedEvent
from domain.events.processing import ProcessReport, drain
from domain.events.service import store_events
from domain.intelligence.refresh import refresh_store
from domain.segments import service as segments
from domain.tenancy import security
from domain.tenancy import service as tenancy
from domain.tenancy.models import Membership, StoreKey, User
from revisit.demo_campaign import add_campaign, fund_wallet
from revisit.demo_journeys import WINBACK_COUPON, add_journeys

DEMO_EMAIL = "owner@demo.revisit.local"
DEMO_PASSWORD = "revisit-demo-1403"
DEMO_OWNER_NAME = "مدیر فروشگاه نمونه"
DEMO_STORE = "فروشگاه نمونه"
DEMO_SEED = 1403
DEMO_CUSTOMERS = 300
DEMO_ORDERS = 900
DEMO_SOURCE = "demo"
KEY_NAME = "demo"
KEY_FILE = "demo-key"
CASHBACK_NAME = "کش‌بک ۵٪ خریدهای بالای ۵۰۰ هزار تومان"
CASHBACK: dict[str, Any] = {
    "trigger": "order.completed",
    "conditions": [{"type": "order_total", "op": "gte", "amount": 500_000}],
    "steps": [
        # IRT has no minor unit below the toman, so 200,000 toman is 200000.
        {"type": "grant_cashback", "percent": "5", "cap": 200_000, "available_after_days": 0},
        {
            "type": "send_sms",
            "purpose": "transactional",
            "template": (
                "{first_name} عزیز، {credit} اعتبار خرید بعدی در {store} برای شما ثبت شد. موجودی: {balance}"
            ),
        },
    ],
}

SEGMENTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "وفادارانی که دیر کرده‌اند",
        "Customers with three or more orders whose last one was over 45 days ago: worth a win-back.",
        {
            "version": 1,
            "match": {
                "all": [
                    {"field": "orders_count", "op": "gte", "value": 3},
                    {"field": "days_since_last_order", "op": "gt", "value": 45},
                ]
            },
        },
    ),
    (
        "پرخریدهای تهران",
        "Tehran customers in the top two fifths by money spent.",
        {
            "version": 1,
            "match": {
                "all": [
                    {"field": "city", "op": "in", "value": ["تهران"]},
                    {"field": "monetary_score", "op": "gte", "value": 4},
                ]
            },
        },
    ),
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoStore:
    """What ``ensure_demo_store`` found or made, for the banner ``revisit dev`` prints."""

    email: str
    password: str
    tenant_id: UUID
    store_key: str | None
    """The demo key's token, kept in ``data_dir/demo-key``; None when it is not (or no longer) valid."""
    created: bool
    """True when this call seeded the store (or finished seeding it)."""
    events: int
    failed_events: int


def key_file(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


async def ensure_demo_store(
    data_dir: Path, *, now: datetime | None = None, progress: Progress | None = None
) -> DemoStore:
    """Make the demo store unless it is already complete; return how to sign in and connect to it."""
    say = progress or (lambda _message: None)
    moment = now or datetime.now(UTC)
    tenant_id = await _owner_tenant()
    if tenant_id is not None and await Automation.filter(tenant_id=tenant_id, name=CASHBACK_NAME).exists():
        return await _summary(tenant_id, data_dir, created=False)

    if tenant_id is None:
        say("Registering the demo owner and store")
        async with in_transaction():
            _, tenant = await tenancy.register_owner(
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                full_name=DEMO_OWNER_NAME,
                tenant_in=tenancy.TenantIn(
                    name=DEMO_STORE, currency="IRT", timezone="Asia/Tehran", locale="fa"
                ),
            )
            _, token = await tenancy.create_store_key(tenant_id=tenant.id, name=KEY_NAME)
        _write_key(data_dir, token)
        tenant_id = tenant.id

    await _send_history(tenant_id, moment, say)
    await _process_all(tenant_id, say)
    await _segments(tenant_id, say)
    balance = await fund_wallet(tenant_id)
    say(f"Wallet topped up: {balance:,} rials")
    say("Creating the win-back and birthday journeys and running today's date triggers")
    enrolled = await add_journeys(tenant_id, datetime.now(UTC))
    say(f"{enrolled:,} customers entered the journeys today")
    campaign = await add_campaign(
        tenant_id, segment_name=SEGMENTS[0][0], coupon_name=WINBACK_COUPON, now=datetime.now(UTC)
    )
    held_back = campaign.control_count
    say(f"Campaign launched to {campaign.recipients_count:,} customers ({held_back:,} held back)")

    say("Creating and activating the cashback automation")
    async with in_transaction():
        automation = await automations.create(
            tenant_id=tenant_id, name=CASHBACK_NAME, definition=JourneyDefinition.model_validate(CASHBACK)
        )
        await automations.activate(tenant_id=tenant_id, automation_id=automation.id, now=datetime.now(UTC))
    return await _summary(tenant_id, data_dir, created=True)


async def _owner_tenant() -> UUID | None:
    user = await User.get_or_none(email=DEMO_EMAIL)
    if user is None:
        return None
    membership = await Membership.filter(user_id=user.id, role="owner").order_by("created_at").first()
    if membership is None or membership.tenant_id is None:  # type: ignore[attr-defined]
        raise RuntimeError(f"{DEMO_EMAIL} exists but owns no store; remove that user or use --no-demo.")
    tenant_id: UUID = membership.tenant_id  # type: ignore[attr-defined]
    return tenant_id


async def _send_history(tenant_id: UUID, now: datetime, say: Progress) -> None:
    """Send 18 months of the synthetic store's events, as a plugin backfilling its history would."""
    # Imported here: the generator lives with the benchmarks and only ``revisit dev`` needs it.
    from bench.synthetic import batches, generate

    store = generate(
        seed=DEMO_SEED,
        customers=DEMO_CUSTOMERS,
        orders=DEMO_ORDERS,
        end=now.replace(hour=0, minute=0, second=0, microsecond=0),
    )
    say(f"Sending {len(store.events):,} events ({store.customers} customers, {store.orders} orders)")
    for batch in batches(store.events, size=500):
        async with in_transaction():
            await store_events(tenant_id=tenant_id, source=DEMO_SOURCE, raw_events=batch)


async def _process_all(tenant_id: UUID, say: Progress) -> None:
    """Process every pending event, batch after batch, the way the worker's ingest job does."""
    done = 0

    async def progress(report: ProcessReport) -> None:
        nonlocal done
        done += report.handled
        say(f"Processed {done:,} events")

    totals = await drain(tenant_id=tenant_id, on_batch=progress)
    if totals.busy:
        say("The worker is processing the rest of the events")


async def _segments(tenant_id: UUID, say: Progress) -> None:
    """Learn the store (scores, stages, the built-in lifecycle segments) and add two of an owner's own."""
    say("Learning the store and refreshing its segments")
    now = datetime.now(UTC)
    await refresh_store(tenant_id=tenant_id, now=now)
    async with in_transaction():
        for name, description, definition in SEGMENTS:
            await segments.create(
                tenant_id=tenant_id, name=name, description=description, definition=definition, now=now
            )


async def _summary(tenant_id: UUID, data_dir: Path, *, created: bool) -> DemoStore:
    return DemoStore(
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        tenant_id=tenant_id,
        store_key=await _valid_key(tenant_id, data_dir),
        created=created,
        events=await IngestedEvent.filter(tenant_id=tenant_id).count(),
        failed_events=await IngestedEvent.filter(tenant_id=tenant_id, status="failed").count(),
    )


def _write_key(data_dir: Path, token: str) -> None:
    """Keep the demo key's token where only this user can read it, so ``dev`` can show it every time."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = key_file(data_dir)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token + "\n")
    path.chmod(0o600)


async def _valid_key(tenant_id: UUID, data_dir: Path) -> str | None:
    """The saved token if it still belongs to a live key of the demo store (it may have been rotated)."""
    path = key_file(data_dir)
    if not path.exists():
        return None
    token = path.read_text().strip()
    parts = security.split_store_key(token)
    if parts is None:
        return None
    key = await StoreKey.get_or_none(public_id=parts[0], tenant_id=tenant_id, revoked_at__isnull=True)
    if key is None or not security.secret_matches(parts[1], key.secret_hash):
        return None
    return token
