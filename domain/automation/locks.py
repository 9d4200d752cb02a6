"""The lock order journeys and event processing share: a run's row before its customer's.

A run being advanced holds its row, then what its steps write: the credit account, the customer's row
(a tag). Processing a batch that reverses or refunds an order takes that order's open runs *first* —
before it writes any customer — so the two wait for each other in this order instead of deadlocking
(which failed the refund's event): a step under way commits before the batch settles the order's
credit, and a run not yet advanced is exited by the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

_HOLD = """
SELECT id FROM automation_runs WHERE tenant_id = $1 AND order_id = ANY($2::uuid[])
    AND state IN ('pending', 'waiting') ORDER BY id FOR UPDATE
"""


async def hold_order_runs(connection: BaseDBAsyncClient, tenant_id: UUID, order_ids: Sequence[UUID]) -> None:
    """Lock the open runs of these orders until the caller's transaction ends (waits for a run being
    advanced right now)."""
    wanted = sorted(set(order_ids))
    if wanted:
        await connection.execute_query(_HOLD, [tenant_id, wanted])
