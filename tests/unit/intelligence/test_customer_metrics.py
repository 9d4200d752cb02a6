"""Each customer's metrics, scores, stage and prediction, as processing and the nightly refresh leave
them, against figures computed here by hand from the same history."""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from domain.customers.models import Customer
from domain.intelligence import bgnbd
from domain.intelligence.refresh import refresh_store
from domain.segments.models import Segment, SegmentMembership
from tests.support.factories import make_owner
from tests.support.shop import customer_named, days_before, deliver, order_event

NOW = datetime.now(UTC).replace(microsecond=0)

# days ago of each customer's orders, and their totals
HISTORIES = {
    "sara": [(300, 2_000_000), (200, 1_000_000), (120, 3_000_000), (10, 500_000)],
    "reza": [(45, 800_000)],
    "mina": [(100, 1_200_000), (70, 1_200_000)],
    "ali": [(5, 9_000_000)],
    "nima": [(20, 400_000), (15, 400_000), (8, 400_000)],
}


async def the_shop() -> object:
    owner = await make_owner()
    events = [
        order_event(customer=name, placed_at=days_before(NOW, days), total=total)
        for name, orders in HISTORIES.items()
        for days, total in orders
    ]
    await deliver(owner.tenant.id, events, now=NOW)
    return owner


async def test_order_metrics_are_the_customers_own_figures(db: None) -> None:
    """Count, spend, average order value, mean and median days between orders, first and last order."""
    owner = await the_shop()
    for name, orders in HISTORIES.items():
        customer = await customer_named(owner.tenant.id, name)
        days = sorted((d for d, _ in orders), reverse=True)
        gaps = [earlier - later for earlier, later in itertools.pairwise(days)]
        spent = sum(total for _, total in orders)
        assert customer.orders_count == len(orders)
        assert customer.total_spent == spent
        assert customer.average_order_value == spent // len(orders)
        assert customer.first_order_at == days_before(NOW, days[0])
        assert customer.last_order_at == days_before(NOW, days[-1])
        if gaps:
            assert customer.average_days_between_orders == pytest.approx(statistics.mean(gaps))
            assert customer.median_days_between_orders == pytest.approx(statistics.median(gaps))
        else:
            assert customer.average_days_between_orders is None
            assert customer.median_days_between_orders is None


async def test_a_refund_counts_and_leaves_the_spend(db: None) -> None:
    owner = await make_owner()
    await deliver(
        owner.tenant.id,
        [order_event(customer="sara", placed_at=days_before(NOW, 3), total=1_000_000, order_id="r1")],
        now=NOW,
    )
    await deliver(
        owner.tenant.id,
        [
            {
                "id": "refund-r1",
                "type": "order.refunded",
                "occurred_at": days_before(NOW, 1).isoformat(),
                "data": {"order_external_id": "r1", "refund_id": "x1", "amount": "250000", "currency": "IRT"},
            }
        ],
        now=NOW,
    )
    sara = await customer_named(owner.tenant.id, "sara")
    assert (sara.refunds_count, sara.refunded_total, sara.total_spent) == (1, 250_000, 750_000)


async def test_the_nightly_refresh_scores_stages_and_predicts(db: None) -> None:
    """RFM quintiles of the store, stages against the default 30-day cycle, and BG/NBD P(alive) and
    the median wait with the published parameters (too few customers to fit the store's own)."""
    owner = await the_shop()
    # when
    result = await refresh_store(tenant_id=owner.tenant.id, now=NOW)
    # then: the store keeps the defaults
    assert (result.model.cycle_days, result.model.cycle_learnt, result.model.fitted) == (30, False, False)
    customers = {c.external_id: c for c in await Customer.filter(tenant_id=owner.tenant.id)}
    counts = np.array([len(HISTORIES[name]) for name in HISTORIES], dtype=float)
    breaks = np.quantile(counts, [0.2, 0.4, 0.6, 0.8])
    assert result.model.frequency_breaks == pytest.approx(list(breaks))
    stages = {name: customer.lifecycle_stage for name, customer in customers.items()}
    # loyal: at least 4 orders here (the top fifth of order counts is 3.2; never fewer than 3)
    assert stages == {
        "sara": "loyal",
        "reza": "at_risk",
        "mina": "about_to_lose",
        "ali": "new",
        "nima": "active",
    }
    spent = {name: sum(total for _, total in orders) for name, orders in HISTORIES.items()}
    latest = {name: min(days for days, _ in orders) for name, orders in HISTORIES.items()}
    money_cuts = np.quantile(list(spent.values()), [0.2, 0.4, 0.6, 0.8])
    recency_cuts = np.quantile(list(latest.values()), [0.2, 0.4, 0.6, 0.8])
    for name, customer in customers.items():
        assert customer.frequency_score == 1 + sum(1 for cut in breaks if cut < len(HISTORIES[name]))
        assert customer.monetary_score == 1 + sum(1 for cut in money_cuts if cut < spent[name])
        assert customer.recency_score == 5 - sum(1 for cut in recency_cuts if cut < latest[name])
        days = sorted((d for d, _ in HISTORIES[name]), reverse=True)
        x, t_x, age = len(days) - 1, days[0] - days[-1], days[0]
        expected = bgnbd.probability_alive(bgnbd.PRIORS, [x], [t_x], [age])[0]
        assert customer.probability_active == pytest.approx(expected, abs=1e-4)
        p = bgnbd.PRIORS
        wait = (p.alpha + age) * (2 ** (1 / (p.r + x)) - 1)
        if wait <= 3650:
            assert customer.expected_next_order_at is not None
            assert abs(customer.expected_next_order_at - (NOW + timedelta(days=wait))) <= timedelta(hours=1)


async def test_built_in_segments_agree_with_the_stages(db: None) -> None:
    """Every store gets the seven lifecycle segments; each stage segment holds exactly its stage."""
    owner = await the_shop()
    await refresh_store(tenant_id=owner.tenant.id, now=NOW)
    builtins = {segment.builtin_key: segment for segment in await Segment.filter(tenant_id=owner.tenant.id)}
    assert set(builtins) == {"new", "active", "loyal", "vip", "at_risk", "about_to_lose", "churned"}
    customers = await Customer.filter(tenant_id=owner.tenant.id)
    for key in ("new", "active", "loyal", "at_risk", "about_to_lose", "churned"):
        stays = await SegmentMembership.filter(segment_id=builtins[key].id, left_at__isnull=True)
        assert {stay.customer_id for stay in stays} == {
            c.id for c in customers if c.lifecycle_stage == key
        }, key  # type: ignore[attr-defined]
    assert "30 days" in builtins["at_risk"].description
