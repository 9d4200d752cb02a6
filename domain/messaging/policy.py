"""The sending policy's clock: quiet hours and frequency caps, in the store's own time zone.

Quiet hours
    A store's window ``[start, end)`` in local wall time (default 22:00–08:00): a marketing SMS whose
    moment falls inside it waits for ``end``; a transactional one (a receipt) goes at once. A window
    may cross midnight (``start > end``); ``start == end`` means no quiet hours. 22:00 is quiet,
    21:59 is not; 07:59 is quiet, 08:00 is not. In a zone with daylight saving, the window is read on
    the wall clock of the day in question (a wall time a clock change skips is read with the offset
    before the change, as Python does).

Frequency caps
    At most ``daily`` marketing SMS per customer on one *local calendar day* of the store, and at most
    ``weekly`` on any *7 consecutive local days* (the day and the 6 before it — a rolling week, so no
    week boundary lets 3 + 3 arrive in two days). ``None`` means no cap, ``0`` no marketing at all.
    A message counts on the local day of its slot (``send_after``, the moment it is due to go), so a
    message deferred to tomorrow morning counts for tomorrow. Counted: marketing messages of the
    customer that are queued or went out (every status but :data:`UNCOUNTED`); suppressed, skipped
    and failed ones take no slot.

The functions here are pure; :mod:`domain.messaging.service` loads the slots and applies them under a
per-customer lock, so two journeys queueing for one customer at once cannot both pass a cap of 1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Final, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise import Tortoise

from domain.errors import DomainError
from domain.messaging.consent import OPT_IN, OPT_OUT, mode, validate_mode
from domain.tenancy.models import Tenant
from domain.tenancy.service import get_tenant

Purpose = Literal["marketing", "transactional"]
WhenCapped = Literal["skip", "defer"]

MARKETING: Final = "marketing"
TRANSACTIONAL: Final = "transactional"

QUIET_HOURS: Final = "quiet_hours"
DAILY_CAP: Final = "daily_cap"
WEEKLY_CAP: Final = "weekly_cap"
NO_CONSENT: Final = "no_consent"
OPTED_OUT: Final = "opted_out"
SUPPRESSED_NUMBER: Final = "suppressed_number"
"""Reason codes written to ``OutboundMessage.policy_reason``."""

UNCOUNTED: Final = frozenset({"suppressed", "skipped", "failed", "undeliverable"})
"""Statuses that take no slot under the caps: the customer never got these."""

WEEK_DAYS: Final = 7
DEFER_HORIZON_DAYS: Final = 60
"""A capped message deferred further than this is skipped instead (with the cap as its reason)."""

MAX_CAP: Final = 50
MINUTES_A_DAY: Final = 24 * 60


@dataclass(frozen=True)
class QuietHours:
    """``[start, end)`` in minutes after local midnight; equal means none."""

    start: int
    end: int

    def __post_init__(self) -> None:
        for name, value in (("quietHoursStart", self.start), ("quietHoursEnd", self.end)):
            if not 0 <= value < MINUTES_A_DAY:
                raise DomainError("INVALID", "A time of day is 00:00 to 23:59.", field=name)

    @property
    def none(self) -> bool:
        return self.start == self.end

    def contains(self, minute: int) -> bool:
        """Whether the local minute of the day ``minute`` is quiet."""
        if self.none:
            return False
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True)
class Caps:
    """Most marketing SMS per customer on one local day and on any 7 local days; None: no cap."""

    daily: int | None
    weekly: int | None

    def __post_init__(self) -> None:
        for name, value in (("dailyCap", self.daily), ("weeklyCap", self.weekly)):
            if value is not None and not 0 <= value <= MAX_CAP:
                raise DomainError("INVALID", f"A cap is 0 to {MAX_CAP}, or none.", field=name)

    @property
    def none(self) -> bool:
        return self.daily is None and self.weekly is None


def quiet_hours(tenant: Tenant) -> QuietHours:
    return QuietHours(tenant.quiet_hours_start, tenant.quiet_hours_end)


def caps(tenant: Tenant) -> Caps:
    return Caps(tenant.marketing_daily_cap, tenant.marketing_weekly_cap)


def zone(tenant: Tenant) -> ZoneInfo:
    return ZoneInfo(tenant.timezone)


def parse_time(text: str, *, field: str) -> int:
    """``"HH:MM"`` (00:00–23:59, two digits each) as minutes after midnight; ``INVALID`` otherwise."""
    hours, colon, minutes = text.partition(":")
    if not (colon and len(hours) == 2 and len(minutes) == 2 and (hours + minutes).isascii()):
        raise DomainError("INVALID", "Write a time of day as HH:MM, such as 22:00.", field=field)
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise DomainError("INVALID", "Write a time of day as HH:MM, such as 22:00.", field=field)
    return int(hours) * 60 + int(minutes)


def format_time(minute: int) -> str:
    """Minutes after midnight as ``"HH:MM"``."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first moment of ``day`` on the wall clock of ``tz``, in UTC."""
    return _at(day, 0, tz)


def _at(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC moment the wall clock of ``tz`` shows ``minute`` on ``day``. A wall time a clock
    change skips is read with the offset before the change, so it lands as far after the gap as it
    was into it (02:30 in a 02:00→03:00 gap is 03:30); a repeated one is its first occurrence."""
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).astimezone(UTC)


def next_send_time(*, tenant: Tenant, purpose: str, now: datetime) -> datetime:
    """When a message queued at ``now`` may go: ``now``, or — for marketing inside the store's quiet
    hours — the moment the window opens. Delivery calls it again just before sending."""
    if purpose != MARKETING:
        return now
    return _open_moment(quiet_hours(tenant), zone(tenant), now)


def _open_moment(window: QuietHours, tz: ZoneInfo, now: datetime) -> datetime:
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if not window.contains(minute):
        return now
    day = local.date()
    if window.start > window.end and minute >= window.start:  # before midnight: opens tomorrow
        day += timedelta(days=1)
    return max(_at(day, window.end, tz), now)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def cap_reason(per_day: Counter[date], day: date, limits: Caps) -> str | None:
    """Why one more marketing SMS on ``day`` would break a cap (``per_day``: counted SMS per local
    day), or None. A new message on ``day`` falls in the 7-day windows ending on ``day`` … ``day + 6``,
    so SMS already deferred to later days are counted too."""
    if limits.daily is not None and per_day[day] + 1 > limits.daily:
        return DAILY_CAP
    if limits.weekly is not None:
        for end in range(WEEK_DAYS):
            last = day + timedelta(days=end)
            in_window = sum(per_day[last - timedelta(days=back)] for back in range(WEEK_DAYS))
            if in_window + 1 > limits.weekly:
                return WEEKLY_CAP
    return None


def first_free_day(per_day: Counter[date], after: date, limits: Caps) -> date | None:
    """The first local day after ``after`` with room under every cap, within
    :data:`DEFER_HORIZON_DAYS`; None when there is none (a cap of 0, or the horizon full)."""
    for offset in range(1, DEFER_HORIZON_DAYS + 1):
        day = after + timedelta(days=offset)
        if cap_reason(per_day, day, limits) is None:
            return day
    return None


def count_by_day(slots: Iterable[datetime], tz: ZoneInfo) -> Counter[date]:
    return Counter(local_day(slot, tz) for slot in slots)


@dataclass(frozen=True)
class Slot:
    """Where the policy puts one marketing SMS: due at ``send_after``, or skipped (``send_after`` None).
    ``reason`` says why it was moved or skipped (None: it goes when asked)."""

    send_after: datetime | None
    reason: str | None


def place(*, tenant: Tenant, now: datetime, counted: Iterable[datetime], when_capped: WhenCapped) -> Slot:
    """Place a marketing SMS queued at ``now`` for a customer whose counted SMS are due at ``counted``:
    quiet hours first (the slot's day is the day it would go), then the caps on that day; a capped SMS
    is skipped or, with ``defer``, moved to the opening of the first day with room."""
    tz, window, limits = zone(tenant), quiet_hours(tenant), caps(tenant)
    due = _open_moment(window, tz, now)
    reason = QUIET_HOURS if due > now else None
    if limits.none:
        return Slot(due, reason)
    per_day = count_by_day(counted, tz)
    day = local_day(due, tz)
    capped = cap_reason(per_day, day, limits)
    if capped is None:
        return Slot(due, reason)
    if when_capped == "skip":
        return Slot(None, capped)
    free = first_free_day(per_day, day, limits)
    if free is None:
        return Slot(None, capped)
    return Slot(_open_moment(window, tz, local_midnight(free, tz)), capped)


def window_start(now: datetime, tenant: Tenant) -> datetime:
    """The earliest slot that can matter to :func:`place` at ``now``: the local midnight of 7 days
    before today (a message due today looks back 6 days; a margin of one for the quiet-hours move)."""
    tz = zone(tenant)
    return local_midnight(local_day(now, tz) - timedelta(days=WEEK_DAYS), tz)


class Keep(Enum):
    """Leave a setting as it is (None already means "no cap" or "follow the country")."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


async def update_settings(
    *,
    tenant_id: UUID,
    quiet_hours_start: str | Keep = KEEP,
    quiet_hours_end: str | Keep = KEEP,
    daily_cap: int | Keep | None = KEEP,
    weekly_cap: int | Keep | None = KEEP,
    consent_mode: str | Keep | None = KEEP,
) -> Tenant:
    """Change the store's sending policy; what is :data:`KEEP` stays. Times are ``"HH:MM"`` (equal
    start and end: no quiet hours), caps 0 to 50 or None (no cap), the consent mode ``opt_in``,
    ``opt_out`` or None (the country's norm). Switching to opt-in suppresses the marketing still
    queued for customers who never said. ``INVALID`` names the field at fault and changes nothing;
    setting the same values again changes nothing either."""
    tenant = await get_tenant(tenant_id=tenant_id, field="tenantId")
    changes: dict[str, object] = {}
    if not isinstance(quiet_hours_start, Keep):
        changes["quiet_hours_start"] = parse_time(quiet_hours_start, field="quietHoursStart")
    if not isinstance(quiet_hours_end, Keep):
        changes["quiet_hours_end"] = parse_time(quiet_hours_end, field="quietHoursEnd")
    if not isinstance(daily_cap, Keep):
        changes["marketing_daily_cap"] = Caps(daily_cap, None).daily
    if not isinstance(weekly_cap, Keep):
        changes["marketing_weekly_cap"] = Caps(None, weekly_cap).weekly
    if not isinstance(consent_mode, Keep):
        changes["consent_mode"] = validate_mode(consent_mode)
    if changes:
        await Tenant.filter(id=tenant_id).update(**changes)
    updated = await Tenant.get(id=tenant_id)
    if mode(tenant) == OPT_OUT and mode(updated) == OPT_IN:
        await Tortoise.get_connection("default").execute_query(_WITHDRAW_UNASKED, [tenant_id])
    return updated


_WITHDRAW_UNASKED = """
UPDATE outbound_messages AS m
SET status = 'suppressed', policy_reason = 'no_consent', updated_at = now(),
    failure_reason = 'no consent: the store asks customers first (opt-in) (since it was queued)'
FROM customers AS c
WHERE m.tenant_id = $1 AND m.purpose = 'marketing' AND m.status = 'queued'
  AND m.claimed_until IS NULL AND m.outcome_unknown_at IS NULL
  AND c.tenant_id = m.tenant_id AND c.id = m.customer_id AND c.consent_source = 'unknown'
"""
"""A store that starts asking first sends nothing more to customers who never said, including what is
already queued for them (and not yet taken by a delivery)."""
