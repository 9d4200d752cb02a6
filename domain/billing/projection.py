"""What the store's active journeys will cost in the coming days, from what they did lately.

Method: for each active journey, the runs it started and the SMS parts its runs sent (or queued) over the
last :data:`WINDOW_DAYS` days — or since it was activated, when that is later (at least one day) — give a
daily rate; ``days`` × that rate × the store's tariff now is the projection. Runs are priced at the run
price on pay as you go and at 0 while a paid annual period covers them; parts always at the part price.
Two statements whatever the number of journeys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

from tortoise import connections

from domain.billing import plans
from domain.billing.tariffs import tenant_tariff
from domain.errors import DomainError

WINDOW_DAYS: Final = 30
MAX_DAYS: Final = 366


@dataclass(frozen=True)
class JourneyProjection:
    """One journey's recent rates and what ``days`` of them cost."""

    automation_id: UUID
    name: str
    observed_days: int
    runs_per_day: float
    parts_per_day: float
    runs: int
    parts: int
    cost: int


@dataclass(frozen=True)
class Projection:
    days: int
    run_price: int
    part_price: int
    cost: int
    journeys: tuple[JourneyProjection, ...]


_RATES = """
SELECT a.id, a.name, a.activated_at,
  (SELECT count(*) FROM automation_runs AS r
    WHERE r.tenant_id = a.tenant_id AND r.automation_id = a.id AND r.created_at >= $2) AS runs,
  (SELECT coalesce(sum(m.parts), 0) FROM automation_step_events AS e
    JOIN outbound_messages AS m ON m.tenant_id = e.tenant_id AND m.id = e.message_id
    WHERE e.tenant_id = a.tenant_id AND e.automation_id = a.id AND e.occurred_at >= $2
      AND e.message_id IS NOT NULL AND m.status IN ('queued', 'sent')) AS parts
FROM automations AS a
WHERE a.tenant_id = $1 AND a.status = 'active'
ORDER BY a.name, a.id
"""


async def projected_journey_cost(*, tenant_id: UUID, days: int, now: datetime | None = None) -> Projection:
    """Project ``days`` (1 to 366) of the store's active journeys at their recent rates (see the module)."""
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise DomainError("INVALID_DAYS", f"Project 1 to {MAX_DAYS} days.", field="days")
    moment = now or datetime.now(UTC)
    since = moment - timedelta(days=WINDOW_DAYS)
    tariff = await tenant_tariff(tenant_id, at=moment)
    covered = await plans.covering_period(tenant_id, at=moment) is not None
    run_price = 0 if covered else tariff.journey_run_price
    part_price = tariff.part_price()
    rows = await connections.get("default").execute_query_dict(_RATES, [tenant_id, since])
    journeys = []
    for row in rows:
        started = max(row["activated_at"] or since, since)
        observed = max(1, round((moment - started).total_seconds() / 86_400))
        runs = round(int(row["runs"]) * days / observed)
        parts = round(int(row["parts"]) * days / observed)
        journeys.append(
            JourneyProjection(
                automation_id=row["id"],
                name=row["name"],
                observed_days=observed,
                runs_per_day=int(row["runs"]) / observed,
                parts_per_day=int(row["parts"]) / observed,
                runs=runs,
                parts=parts,
                cost=runs * run_price + parts * part_price,
            )
        )
    return Projection(
        days=days,
        run_price=run_price,
        part_price=part_price,
        cost=sum(journey.cost for journey in journeys),
        journeys=tuple(journeys),
    )
