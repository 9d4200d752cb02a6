"""The synthetic store: the same seed makes the same events, and the events look like a real store's."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.synthetic import FIRST_NAMES, LAST_NAMES, PRODUCTS, SyntheticStore, batches, generate
from domain.customers.phones import normalise_phone
from domain.events.schema import EventRejection, validate_event

END = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def store() -> SyntheticStore:
    return generate(seed=7, customers=300, orders=900, end=END)


def _phones(event: dict[str, Any]) -> list[str]:
    data = event["data"]
    found = [
        data.get("phone"),
        (data.get("billing") or {}).get("phone"),
        (data.get("customer") or {}).get("phone"),
    ]
    return [phone for phone in found if phone]


def test_the_same_seed_makes_the_same_events(store: SyntheticStore) -> None:
    # when
    again = generate(seed=7, customers=300, orders=900, end=END)
    # then
    assert again.events == store.events


def test_another_seed_makes_another_store(store: SyntheticStore) -> None:
    # when
    other = generate(seed=8, customers=300, orders=900, end=END)
    # then
    assert other.events != store.events


def test_every_event_passes_the_unified_schema(store: SyntheticStore) -> None:
    # when
    rejected = [
        (event["id"], outcome.reason)
        for event in store.events
        if isinstance(outcome := validate_event(event), EventRejection)
    ]
    # then
    assert rejected == []


def test_event_ids_are_unique_and_events_come_oldest_first(store: SyntheticStore) -> None:
    ids = [event["id"] for event in store.events]
    times = [datetime.fromisoformat(event["occurred_at"]) for event in store.events]
    assert len(ids) == len(set(ids))
    assert times == sorted(times)
    assert END - timedelta(days=18 * 31) < times[0] and times[-1] <= END


def test_every_phone_normalises_to_an_iranian_mobile_in_e164(store: SyntheticStore) -> None:
    # given
    phones = [phone for event in store.events for phone in _phones(event)]
    # when
    normalised = {normalise_phone(phone) for phone in phones}
    # then
    assert all(number and re.fullmatch(r"\+989\d{9}", number) for number in normalised)
    assert any(re.search("[۰-۹]", phone) for phone in phones), "some numbers are typed in Persian digits"
    assert any(phone.startswith("+98") for phone in phones), "some numbers carry +98"
    assert any(phone.startswith("09") for phone in phones)


def test_a_customer_keeps_one_number_however_it_is_spelt(store: SyntheticStore) -> None:
    numbers: dict[str, set[str | None]] = {}
    for event in store.events:
        if event["type"] == "order.created" and event["data"]["customer"].get("external_id"):
            customer = event["data"]["customer"]
            numbers.setdefault(customer["external_id"], set()).add(normalise_phone(customer["phone"]))
    assert numbers and all(len(found) == 1 for found in numbers.values())


def test_the_store_looks_like_a_real_one(store: SyntheticStore) -> None:
    # then: the requested sizes
    by_type = store.count_by_type()
    assert by_type["customer.created"] == 300
    assert by_type["order.created"] == 900
    assert by_type["payment.completed"] > 700
    assert by_type["order.refunded"] > 10
    # statuses: mostly completed, some cancelled, refunded and still processing
    assert store.statuses["completed"] > 0.7 * 900
    assert {"cancelled", "refunded", "processing"} <= set(store.statuses)
    # a few guests without a store customer id
    guest_orders = [
        event
        for event in store.events
        if event["type"] == "order.created" and "external_id" not in event["data"]["customer"]
    ]
    assert 5 <= len(guest_orders) <= 90
    # orders of one to four lines, some with coupons, amounts in toman within the catalogue's range
    orders = [event["data"] for event in store.events if event["type"] == "order.created"]
    assert {len(order["items"]) for order in orders} == {1, 2, 3, 4}
    assert sum(bool(order["coupon_codes"]) for order in orders) > 30
    assert all(order["currency"] == "IRT" for order in orders)
    for order in orders:
        assert int(order["total"]) == (
            int(order["subtotal"]) - int(order["discount_total"]) + int(order["shipping_total"])
        )
    # some customers come back again and again
    per_customer = Counter(order["customer"].get("external_id") for order in orders)
    assert sum(count >= 3 for key, count in per_customer.items() if key) > 30


def test_the_catalogue_and_names_are_rich_enough() -> None:
    assert len(PRODUCTS) >= 30
    assert len({product.category.id for product in PRODUCTS}) >= 4
    assert min(product.price for product in PRODUCTS) >= 50_000
    assert max(product.price for product in PRODUCTS) <= 20_000_000
    assert len({name for name, _ in FIRST_NAMES}) >= 40
    assert len({name for name, _ in LAST_NAMES}) >= 40


def test_batches_split_without_losing_events(store: SyntheticStore) -> None:
    chunks = list(batches(store.events, size=500))
    assert all(len(chunk) <= 500 for chunk in chunks)
    assert [event for chunk in chunks for event in chunk] == store.events
