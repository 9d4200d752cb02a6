"""The audience snapshot: who a campaign reaches, who it leaves out and why, in one SQL statement.

At launch every customer of the audience — all the store's customers, or the members of the included
segments who are in none of the excluded ones — gets one ``campaign_recipients`` row:

- ``excluded`` with the first reason that applies, in this order: ``no_phone``; ``duplicate_phone``
  (another customer of the audience has the same number, written the same or otherwise: one message
  per phone, to the customer with a valid number and then the oldest id); ``invalid_phone`` (not
  E.164); ``opted_out`` (the customer said no); ``no_consent`` (never said, in an opt-in store —
  :mod:`domain.messaging.consent`); ``suppressed_number`` (the phone is on the store's suppression
  list); ``daily_cap`` / ``weekly_cap`` (the sending policy's caps, counted over the marketing the
  customer already has on the local day the campaign sends and the rolling 7 days around it, as
  :func:`domain.messaging.policy.cap_reason` counts them one by one);
- ``control``: of those who could be reached, a deterministic draw by a hash of (campaign, customer)
  sets ``control_percent`` % aside — they get nothing and are what the campaign is compared with;
- ``treated``: everyone else; they get the message, whose id is drawn here (``message_id``) so the
  messages are inserted under it and no recipient row is written twice.

The statement counts what it wrote by status and reason, and those counts are what the owner is shown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.campaigns.models import Campaign
from domain.messaging import consent, policy
from domain.tenancy.models import Tenant

NO_PHONE: Final = "no_phone"
INVALID_PHONE: Final = "invalid_phone"
DUPLICATE_PHONE: Final = "duplicate_phone"
REASONS: Final = (
    NO_PHONE,
    DUPLICATE_PHONE,
    INVALID_PHONE,
    policy.OPTED_OUT,
    policy.NO_CONSENT,
    policy.SUPPRESSED_NUMBER,
    policy.DAILY_CAP,
    policy.WEEKLY_CAP,
)
"""Why a customer of the audience gets no message, in the order they are tested."""

TREATED: Final = "treated"
CONTROL: Final = "control"
EXCLUDED: Final = "excluded"

_WEEK_ENDS: Final = ",\n".join(
    f"         count(*) FILTER (WHERE s.d BETWEEN {end - 6} AND {end})" for end in range(policy.WEEK_DAYS)
)

_SNAPSHOT: Final = f"""
WITH audience AS (
  SELECT c.id, c.phone, c.marketing_consent, c.consent_source
  FROM customers AS c
  WHERE c.tenant_id = $1
    AND (cardinality($3::uuid[]) = 0 OR c.id IN (
      SELECT s.customer_id FROM segment_memberships AS s
      WHERE s.tenant_id = $1 AND s.segment_id = ANY($3::uuid[]) AND s.left_at IS NULL))
    AND c.id NOT IN (
      SELECT s.customer_id FROM segment_memberships AS s
      WHERE s.tenant_id = $1 AND s.segment_id = ANY($4::uuid[]) AND s.left_at IS NULL)
),
numbered AS (
  SELECT a.*, coalesce(a.phone ~ '^\\+[1-9][0-9]{{7,14}}$', false) AS valid,
         regexp_replace(coalesce(a.phone, ''), '[^0-9]', '', 'g') AS digits,
         row_number() OVER (
           PARTITION BY regexp_replace(coalesce(a.phone, ''), '[^0-9]', '', 'g')
           ORDER BY coalesce(a.phone ~ '^\\+[1-9][0-9]{{7,14}}$', false) DESC, a.id) AS nth
  FROM audience AS a
),
slots AS (
  SELECT m.customer_id,
         (timezone($8::text, coalesce(m.send_after, m.created_at))::date - $9::date) AS d
  FROM outbound_messages AS m
  WHERE m.tenant_id = $1 AND m.purpose = 'marketing' AND m.customer_id IS NOT NULL
    AND m.status <> ALL($12::text[]) AND m.campaign_id IS DISTINCT FROM $2
    AND coalesce(m.send_after, m.created_at) >= $7 AND coalesce(m.send_after, m.created_at) < $13
),
caps AS (
  SELECT s.customer_id, count(*) FILTER (WHERE s.d = 0) AS today,
         greatest(
{_WEEK_ENDS}
         ) AS week
  FROM slots AS s
  GROUP BY s.customer_id
),
decided AS (
  SELECT n.id, n.phone,
         CASE
           WHEN n.digits = '' THEN '{NO_PHONE}'
           WHEN n.nth > 1 THEN '{DUPLICATE_PHONE}'
           WHEN NOT n.valid THEN '{INVALID_PHONE}'
           WHEN NOT n.marketing_consent THEN '{policy.OPTED_OUT}'
           WHEN n.consent_source = '{consent.UNKNOWN}' AND $5 <> '{consent.OPT_OUT}'
             THEN '{policy.NO_CONSENT}'
           WHEN n.phone IN (SELECT x.phone FROM sms_suppressions AS x
                            WHERE x.tenant_id = $1 AND x.lifted_at IS NULL) THEN '{policy.SUPPRESSED_NUMBER}'
           WHEN $10::int IS NOT NULL AND coalesce(k.today, 0) + 1 > $10::int THEN '{policy.DAILY_CAP}'
           WHEN $11::int IS NOT NULL AND coalesce(k.week, 0) + 1 > $11::int THEN '{policy.WEEKLY_CAP}'
         END AS reason
  FROM numbered AS n
  LEFT JOIN caps AS k ON k.customer_id = n.id
),
drawn AS (
  SELECT d.id, d.phone, d.reason,
         CASE WHEN d.reason IS NOT NULL THEN '{EXCLUDED}'
              WHEN (hashtextextended($2::text || d.id::text, 0) & 9223372036854775807) % 100 < $6::int
                THEN '{CONTROL}'
              ELSE '{TREATED}' END AS status
  FROM decided AS d
),
written AS (
  INSERT INTO campaign_recipients (tenant_id, campaign_id, customer_id, phone, status, reason, message_id,
                                   credit_amount)
  SELECT $1, $2, w.id, w.phone, w.status, w.reason,
         CASE WHEN w.status = '{TREATED}' THEN gen_random_uuid() END, 0
  FROM drawn AS w
  ORDER BY w.id
  ON CONFLICT DO NOTHING
  RETURNING status, reason
)
SELECT status, reason, count(*) AS n FROM written GROUP BY status, reason
"""


@dataclass(frozen=True)
class Snapshot:
    """What the snapshot wrote: the treated, the control group, and the excluded by reason."""

    treated: int
    control: int
    excluded: dict[str, int]

    @property
    def excluded_count(self) -> int:
        return sum(self.excluded.values())


async def snapshot(
    connection: BaseDBAsyncClient, *, tenant: Tenant, campaign: Campaign, sends_at: datetime
) -> Snapshot:
    """Write the campaign's recipients as its audience is now, for messages due at ``sends_at`` (whose
    local day the caps count), in the caller's transaction. Run once per campaign: a second run
    writes nothing more (and counts nothing)."""
    tz = policy.zone(tenant)
    day = policy.local_day(sends_at, tz)
    limits = policy.caps(tenant)
    rows = await connection.execute_query_dict(
        _SNAPSHOT,
        [
            tenant.id,
            campaign.id,
            list(campaign.include_segment_ids),
            list(campaign.exclude_segment_ids),
            consent.mode(tenant),
            campaign.control_percent,
            policy.local_midnight(day - timedelta(days=policy.WEEK_DAYS - 1), tz),
            tenant.timezone,
            day,
            limits.daily,
            limits.weekly,
            sorted(policy.UNCOUNTED),
            policy.local_midnight(day + timedelta(days=policy.WEEK_DAYS), tz),
        ],
    )
    counts: Counter[tuple[str, str | None]] = Counter()
    for row in rows:
        counts[(row["status"], row["reason"])] += int(row["n"])
    excluded = {reason: counts[(EXCLUDED, reason)] for reason in REASONS if counts[(EXCLUDED, reason)]}
    return Snapshot(treated=counts[(TREATED, None)], control=counts[(CONTROL, None)], excluded=excluded)
