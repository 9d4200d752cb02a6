"""Each customer's metrics, scores, stage and prediction, as processing and the nightly refresh leave
them, against figures computed here by hand from the same history."""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from domain.customers.models import Customer
from domain.intelligence import bgnbd, prediction
from domain.intelligence.refresh import refresh_store
from domain.segments import service as segments
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
    """RFM quintiles of the store and stages against the default 30-day cycle; the published BG/NBD
    parameters (too few customers to fit the store's own)."""
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


async def test_segment_conditions_on_predictions_agree_with_the_api(db: None) -> None:
    """The chance of being active and the expected next order are computed when read: in SQL for a
    segment condition, in Python for the API. Both give the BG/NBD figures of the paper's formula."""
    owner = await the_shop()
    await refresh_store(tenant_id=owner.tenant.id, now=NOW)
    customers = {c.external_id: c for c in await Customer.filter(tenant_id=owner.tenant.id)}
    p = bgnbd.PRIORS
    alive, waits = {}, {}
    for name, customer in customers.items():
        days = sorted((d for d, _ in HISTORIES[name]), reverse=True)
        x, t_x, age = len(days) - 1, days[0] - days[-1], days[0]
        alive[name] = prediction.probability_active(
            p,
            orders=customer.orders_count,
            first=customer.first_order_at,
            last=customer.last_order_at,
            now=NOW,
        )
        assert alive[name] == pytest.approx(bgnbd.probability_alive(p, [x], [t_x], [age])[0], abs=1e-9)
        expected = prediction.expected_next_order(
            p, orders=customer.orders_count, first=customer.first_order_at, now=NOW
        )
        wait = (p.alpha + age) * (2 ** (1 / (p.r + x)) - 1)
        waits[name] = wait
        assert expected == (NOW + timedelta(days=wait) if wait <= 3650 else None)
    for threshold in (0.2, 0.5, 0.9):
        segment = await segments.create(
            tenant_id=owner.tenant.id,
            name=f"alive {threshold}",
            definition={
                "version": 1,
                "match": {"field": "probability_active", "op": "gte", "value": threshold},
            },
            now=NOW,
        )
        members = await SegmentMembership.filter(
            segment_id=segment.id, left_at__isnull=True
        ).prefetch_related("customer")
        assert {m.customer.external_id for m in members} == {
            n for n, a in alive.items() if a is not None and a >= threshold
        }
    soon = await segments.create(
        tenant_id=owner.tenant.id,
        name="due within a year",
        definition={"version": 1, "match": {"field": "days_until_expected_order", "op": "lte", "value": 365}},
        now=NOW,
    )
    members = await SegmentMembership.filter(segment_id=soon.id, left_at__isnull=True).prefetch_related(
        "customer"
    )
    assert {m.customer.external_id for m in members} == {n for n, w in waits.items() if w < 366}


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
