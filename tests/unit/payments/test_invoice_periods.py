"""Invoice months in the store's calendar: Jalali months from local midnight of their first day in the
store's timezone, Gregorian ones likewise, and the receipt and invoice pages built from them."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.errors import DomainError
from domain.payments import documents, invoices
from domain.payments.invoices import Invoice, InvoiceLine
from domain.payments.models import TopUp
from domain.tenancy.models import Tenant


def store(calendar: str = "jalali", timezone: str = "Asia/Tehran", locale: str = "fa") -> Tenant:
    return Tenant(
        id=UUID(int=1403),
        name="چای <خانه>",
        calendar=calendar,
        timezone=timezone,
        locale=locale,
        currency="IRT",
    )


def test_a_jalali_month_runs_from_local_midnight_of_its_first_day() -> None:
    """Mehr 1405 starts 1 Mehr (2026-09-23) at 00:00 Tehran (20:30 UTC the day before) and ends at 1 Aban."""
    # when
    mehr = invoices.period(store(), 1405, 7)
    # then
    assert mehr.start.astimezone(UTC) == datetime(2026, 9, 22, 20, 30, tzinfo=UTC)
    assert mehr.end.astimezone(UTC) == datetime(2026, 10, 22, 20, 30, tzinfo=UTC)
    assert mehr.label == "مهر 1405"


def test_esfand_ends_at_the_next_years_farvardin() -> None:
    """The twelfth Jalali month ends where 1 Farvardin of the next year begins (Nowruz)."""
    # when
    esfand = invoices.period(store(), 1404, 12)
    # then
    assert esfand.end == invoices.period(store(), 1405, 1).start


def test_a_moment_falls_in_the_month_of_its_local_day() -> None:
    """20:45 UTC on 22 September 2026 is already 1 Mehr in Tehran; in Berlin it is still September."""
    # given
    moment = datetime(2026, 9, 22, 20, 45, tzinfo=UTC)
    # when
    tehran = invoices.period_of(store(), moment)
    berlin = invoices.period_of(store("gregorian", "Europe/Berlin", "en"), moment)
    # then
    assert (tehran.year, tehran.month) == (1405, 7)
    assert (berlin.year, berlin.month, berlin.label) == (2026, 9, "September 2026")


@pytest.mark.parametrize(("year", "month"), [(1405, 0), (1405, 13), (0, 1), (10_000, 1)])
def test_a_month_that_does_not_exist_is_refused(year: int, month: int) -> None:
    """Month 0 or 13, year 0 or 10,000: INVALID_PERIOD."""
    with pytest.raises(DomainError) as refused:
        invoices.period(store(), year, month)
    assert refused.value.code == "INVALID_PERIOD"


def test_the_invoice_page_totals_charges_less_refunds_and_escapes_the_store_name() -> None:
    """Charges 6,000 + 20,000, 1,500 refunded: 24,500 in all; the store's name is escaped."""
    # given
    tenant = store()
    bill = Invoice(
        period=invoices.period(tenant, 1405, 9),
        charges=(InvoiceLine("sms", 2, 4, 6_000), InvoiceLine("journey_run", 1, 1, 20_000)),
        refunds=1_500,
        top_ups=1_000_000,
        top_up_count=1,
    )
    # when
    page = documents.invoice_html(tenant, bill, platform="Revisit", now=datetime(2026, 12, 1, tzinfo=UTC))
    # then
    assert bill.total == 24_500
    assert "24,500 ریال" in page and "−1,500 ریال" in page and "1,000,000 ریال" in page
    assert "چای &lt;خانه&gt;" in page and "<خانه>" not in page
    assert "1405/09/01 – 1405/09/30" in page
    assert documents.invoice_number(tenant, bill) == f"I-{tenant.id.hex[:8].upper()}-140509"


def test_a_stripe_receipt_shows_what_the_card_was_charged_in_its_currency() -> None:
    """A receipt of a Stripe top-up shows the rials credited and the euro cents charged."""
    # given
    tenant = store("gregorian", "Europe/Berlin", "en")
    paid = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    top_up = TopUp(
        id=UUID(int=7), tenant_id=tenant.id, gateway="stripe", amount=2_750_000, charge_amount=250,
        charge_currency="EUR", status="paid", client_key="k", ref_id="pi_1", paid_at=paid, updated_at=paid,
    )  # fmt: skip
    # when
    page = documents.receipt_html(tenant, top_up, platform="Revisit", now=paid)
    # then
    assert "2,750,000 IRR" in page and "250 EUR" in page and "pi_1" in page
    assert "2026-12-01 10:30" in page  # Berlin time
    assert documents.receipt_number(top_up) in page
