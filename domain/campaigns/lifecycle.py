"""A campaign's states and the moves between them.

::

    draft ──schedule──▶ scheduled ──(its time)──▶ sending ◀──resume── paused
      │                    │                        │  └──pause──────▶ │
      └──────launch────────┴──────────────▶ sending ─▶ completed       │
    draft, scheduled, sending, paused ──cancel──▶ cancelled ◀──────────┘

Every move locks the campaign row (``FOR UPDATE``) and checks the state it starts from, so two requests
racing for one campaign make one move and the other gets ``INVALID_STATE``. Pause, resume and cancel
take effect between chunks: dispatch reads the status before each chunk it sends. Cancelling withdraws
the messages still queued (status ``cancelled``) and releases what is left of the wallet reservation;
completing releases it too. A campaign paused for funds (``pause_reason`` ``insufficient_funds``) is
resumed by :func:`resume_paused_for_funds` once a top-up pays, or by the owner.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.billing import wallet
from domain.campaigns.models import Campaign
from domain.errors import DomainError, NotFound

DRAFT: Final = "draft"
SCHEDULED: Final = "scheduled"
SENDING: Final = "sending"
PAUSED: Final = "paused"
COMPLETED: Final = "completed"
CANCELLED: Final = "cancelled"
STATUSES: Final = (DRAFT, SCHEDULED, SENDING, PAUSED, COMPLETED, CANCELLED)
ACTIVE: Final = frozenset({DRAFT, SCHEDULED, SENDING, PAUSED})
"""States in which a campaign still uses its segments and coupon template."""

OWNER: Final = "owner"
INSUFFICIENT_FUNDS: Final = "insufficient_funds"

MOVES: Final[dict[str, frozenset[str]]] = {
    DRAFT: frozenset({SCHEDULED, SENDING, CANCELLED}),
    SCHEDULED: frozenset({SENDING, CANCELLED, PAUSED}),
    SENDING: frozenset({PAUSED, COMPLETED, CANCELLED}),
    PAUSED: frozenset({SENDING, CANCELLED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
}
"""From each state, the states a campaign may move to (a scheduled campaign the wallet cannot pay for
at its time goes ``paused``)."""

_VERBS: Final = {
    SCHEDULED: "scheduled",
    SENDING: "launched or resumed",
    PAUSED: "paused",
    COMPLETED: "completed",
    CANCELLED: "cancelled",
}


def check_move(campaign: Campaign, to: str) -> None:
    """``INVALID_STATE`` (naming the state it is in) unless ``campaign`` may move to ``to``."""
    if to not in MOVES[campaign.status]:
        raise DomainError(
            "INVALID_STATE",
            f"A {campaign.status} campaign cannot be {_VERBS.get(to, to)}.",
            field="id",
        )


async def locked(connection: BaseDBAsyncClient, tenant_id: UUID, campaign_id: UUID) -> Campaign:
    """The campaign, locked for the rest of ``connection``'s transaction; ``NOT_FOUND`` for another
    store's id or an unknown one."""
    campaign = (
        await Campaign.filter(tenant_id=tenant_id, id=campaign_id)
        .select_for_update()
        .using_db(connection)
        .first()
    )
    if campaign is None:
        raise NotFound("Campaign")
    return campaign


async def pause(*, tenant_id: UUID, campaign_id: UUID, now: datetime | None = None) -> Campaign:
    """The owner pauses a sending (or scheduled) campaign: nothing more goes until it is resumed. A
    campaign paused for funds is now paused by the owner too: a top-up no longer resumes it."""
    async with in_transaction() as connection:
        campaign = await locked(connection, tenant_id, campaign_id)
        if campaign.status == PAUSED:
            campaign.pause_reason = OWNER
        else:
            check_move(campaign, PAUSED)
            campaign.status, campaign.pause_reason = PAUSED, OWNER
            campaign.paused_at = now or datetime.now(UTC)
        await campaign.save(using_db=connection, update_fields=["status", "pause_reason", "paused_at"])
    return campaign


async def resume(*, tenant_id: UUID, campaign_id: UUID) -> Campaign:
    """A paused campaign sends again from where it stopped. A campaign paused before its launch time
    (it was scheduled) is scheduled again; one the wallet still cannot pay for pauses again at the
    next chunk."""
    async with in_transaction() as connection:
        campaign = await locked(connection, tenant_id, campaign_id)
        if campaign.status != PAUSED:
            raise DomainError("INVALID_STATE", f"A {campaign.status} campaign cannot be resumed.", field="id")
        campaign.status = SENDING if campaign.launched_at is not None else SCHEDULED
        campaign.pause_reason, campaign.paused_at = None, None
        await campaign.save(using_db=connection, update_fields=["status", "pause_reason", "paused_at"])
    return campaign


_WITHDRAW: Final = """
UPDATE outbound_messages
SET status = 'cancelled', failure_reason = 'the campaign was cancelled', updated_at = now()
WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'queued'
RETURNING id
"""


async def cancel(*, tenant_id: UUID, campaign_id: UUID, now: datetime | None = None) -> Campaign:
    """Stop the campaign for good: its queued messages are withdrawn (status ``cancelled``) and what
    is left of its reservation goes back to the wallet's available balance. Messages already sent
    stay sent (and charged). Cancelling a cancelled campaign changes nothing."""
    async with in_transaction() as connection:
        campaign = await locked(connection, tenant_id, campaign_id)
        if campaign.status == CANCELLED:
            return campaign
        check_move(campaign, CANCELLED)
        await connection.execute_query_dict(_WITHDRAW, [tenant_id, campaign_id])
        campaign.status, campaign.finished_at = CANCELLED, now or datetime.now(UTC)
        await campaign.save(using_db=connection, update_fields=["status", "finished_at"])
        if campaign.reservation_key:
            await wallet.release(tenant_id, key=campaign.reservation_key, connection=connection)
    return campaign


_ANY_QUEUED: Final = (
    "SELECT 1 FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'queued' LIMIT 1"
)


async def complete_if_done(tenant_id: UUID, campaign_id: UUID) -> bool:
    """Mark a sending campaign ``completed`` when none of its messages is queued any more, and release
    what is left of its reservation. True when the campaign is completed (now or before); False while
    messages wait, or when it is paused or cancelled. Dispatch calls it after its last chunk; calling
    it again changes nothing."""
    async with in_transaction() as connection:
        campaign = await locked(connection, tenant_id, campaign_id)
        if campaign.status == COMPLETED:
            return True
        if campaign.status != SENDING:
            return False
        if await connection.execute_query_dict(_ANY_QUEUED, [tenant_id, campaign_id]):
            return False
        campaign.status, campaign.finished_at = COMPLETED, datetime.now(UTC)
        await campaign.save(using_db=connection, update_fields=["status", "finished_at"])
        if campaign.reservation_key:
            await wallet.release(tenant_id, key=campaign.reservation_key, connection=connection)
    return True


async def pause_for_funds(tenant_id: UUID, campaign_id: UUID) -> None:
    """The wallet could not pay for the next chunk: a sending (or scheduled) campaign pauses with the
    reason ``insufficient_funds``, to be resumed when funds are added. Any other state is left as it is
    (an owner's pause stays the owner's)."""
    async with in_transaction() as connection:
        campaign = await locked(connection, tenant_id, campaign_id)
        if campaign.status not in (SENDING, SCHEDULED):
            return
        campaign.status, campaign.pause_reason = PAUSED, INSUFFICIENT_FUNDS
        campaign.paused_at = datetime.now(UTC)
        await campaign.save(using_db=connection, update_fields=["status", "pause_reason", "paused_at"])


_RESUME_FOR_FUNDS: Final = """
UPDATE campaigns
SET status = CASE WHEN launched_at IS NULL THEN 'scheduled' ELSE 'sending' END,
    pause_reason = NULL, paused_at = NULL, updated_at = now()
WHERE tenant_id = $1 AND status = 'paused' AND pause_reason = 'insufficient_funds'
RETURNING id, status
"""


async def resume_paused_for_funds(tenant_id: UUID) -> list[UUID]:
    """After a top-up: every campaign of the store paused for funds goes on (one paused before its
    launch is scheduled again, and launches at the scheduler's next pass). Returns the campaigns now
    ``sending`` again; the caller wakes dispatch for them. A campaign the wallet still cannot pay for
    pauses again at its next chunk."""
    async with in_transaction() as connection:
        rows = await connection.execute_query_dict(_RESUME_FOR_FUNDS, [tenant_id])
    return sorted(row["id"] for row in rows if row["status"] == SENDING)
