"""Printable receipts (one per paid top-up) and monthly invoices, as self-contained HTML pages.

A page a person keeps: the platform's name, the store's name, a number, dates in the store's calendar and
timezone, amounts in rials with thousands separators, and totals. Persian stores get a right-to-left page
in Persian, others an English one. Every value from the database is HTML-escaped; the pages load nothing
from elsewhere and print on one A4 sheet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Final

from domain.payments.invoices import Invoice, last_day, local_date
from domain.payments.models import TopUp
from domain.tenancy.models import Tenant

_STYLE: Final = (
    "body{font-family:Vazirmatn,Tahoma,Arial,sans-serif;max-width:720px;margin:2em auto;color:#222}"
    "h1{font-size:1.4em;margin:0}header{display:flex;justify-content:space-between;align-items:baseline;"
    "border-bottom:2px solid #222;padding-bottom:.5em;margin-bottom:1em}table{width:100%;"
    "border-collapse:collapse}th,td{padding:.4em;border-bottom:1px solid #ccc;text-align:start}"
    "td.n,th.n{text-align:end;font-variant-numeric:tabular-nums}tfoot td{font-weight:bold;"
    "border-top:2px solid #222}footer{margin-top:2em;font-size:.85em;color:#666}"
    "@media print{body{margin:0}}"
)

_WORDS: Final = {
    "fa": {
        "receipt": "رسید پرداخت",
        "invoice": "صورت‌حساب ماهانه",
        "store": "فروشگاه",
        "number": "شماره",
        "date": "تاریخ",
        "paid_at": "زمان پرداخت",
        "gateway": "درگاه",
        "ref": "کد پیگیری",
        "card": "کارت",
        "amount": "مبلغ شارژ کیف پول",
        "charged": "مبلغ پرداخت‌شده",
        "period": "دوره",
        "kind": "شرح",
        "entries": "تعداد",
        "units": "واحد",
        "sum": "مبلغ",
        "refunds": "برگشت‌داده‌شده",
        "total": "جمع کل",
        "top_ups": "شارژهای کیف پول در این دوره",
        "issued": "صادرشده در",
        "rial": "ریال",
        "none": "در این دوره هزینه‌ای ثبت نشده است.",
        "sms": "پیامک (بخش)",
        "journey_run": "اجرای سفر مشتری",
        "subscription": "اشتراک سالانه",
        "zarinpal": "زرین‌پال",
        "stripe": "Stripe",
    },
    "en": {
        "receipt": "Payment receipt",
        "invoice": "Monthly invoice",
        "store": "Store",
        "number": "Number",
        "date": "Date",
        "paid_at": "Paid at",
        "gateway": "Gateway",
        "ref": "Reference",
        "card": "Card",
        "amount": "Credited to the wallet",
        "charged": "Charged",
        "period": "Period",
        "kind": "Item",
        "entries": "Count",
        "units": "Units",
        "sum": "Amount",
        "refunds": "Refunded",
        "total": "Total",
        "top_ups": "Wallet top-ups in this period",
        "issued": "Issued",
        "rial": "IRR",
        "none": "No charges in this period.",
        "sms": "SMS parts",
        "journey_run": "Journey runs",
        "subscription": "Annual subscription",
        "zarinpal": "Zarinpal",
        "stripe": "Stripe",
    },
}


def _words(tenant: Tenant) -> dict[str, str]:
    return _WORDS["fa" if (tenant.locale or "").startswith("fa") else "en"]


def _rials(amount: int, words: dict[str, str]) -> str:
    return f"{amount:,} {words['rial']}"


def _page(tenant: Tenant, *, title: str, number: str, platform: str, body: str, now: datetime) -> str:
    words = _words(tenant)
    rtl = words is _WORDS["fa"]
    return (
        f'<!doctype html><html lang="{"fa" if rtl else "en"}" dir="{"rtl" if rtl else "ltr"}">'
        f'<head><meta charset="utf-8"><title>{escape(title)} {escape(number)}</title>'
        f"<style>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><strong>{escape(platform)}</strong></header>"
        f"<p>{words['store']}: <strong>{escape(tenant.name)}</strong><br>"
        f"{words['number']}: <bdi>{escape(number)}</bdi></p>"
        f"{body}"
        f"<footer>{escape(platform)} · {words['issued']} <bdi>{local_date(tenant, now)}</bdi></footer>"
        "</body></html>"
    )


def receipt_number(top_up: TopUp) -> str:
    """A paid top-up's receipt number: R-<its id's first 12 hex digits>."""
    return f"R-{top_up.id.hex[:12].upper()}"


def receipt_html(tenant: Tenant, top_up: TopUp, *, platform: str, now: datetime | None = None) -> str:
    """The receipt of a paid top-up."""
    words = _words(tenant)
    paid_at = top_up.paid_at or top_up.updated_at
    rows = [
        (words["paid_at"], local_date(tenant, paid_at)),
        (words["gateway"], words.get(top_up.gateway, top_up.gateway)),
        (words["ref"], top_up.ref_id or "—"),
        (words["card"], top_up.card_mask or "—"),
        (words["amount"], _rials(top_up.amount, words)),
    ]
    if top_up.charge_currency != "IRR":
        rows.append(
            (words["charged"], f"{top_up.charge_amount:,} {top_up.charge_currency} ({words['units']})")
        )
    cells = "".join(
        f"<tr><th>{escape(name)}</th><td><bdi>{escape(value)}</bdi></td></tr>" for name, value in rows
    )
    return _page(
        tenant,
        title=words["receipt"],
        number=receipt_number(top_up),
        platform=platform,
        body=f"<table>{cells}</table>",
        now=now or datetime.now(UTC),
    )


def invoice_number(tenant: Tenant, invoice: Invoice) -> str:
    """I-<store id's first 8 hex digits>-<year><month>."""
    return f"I-{tenant.id.hex[:8].upper()}-{invoice.period.year:04d}{invoice.period.month:02d}"


def invoice_html(tenant: Tenant, invoice: Invoice, *, platform: str, now: datetime | None = None) -> str:
    """The month's invoice: charges by kind, refunds, the total, and the top-ups paid in."""
    words = _words(tenant)
    chosen = invoice.period
    first = local_date(tenant, chosen.start, with_time=False)
    span = f"{first} – {local_date(tenant, last_day(chosen), with_time=False)}"
    lines = "".join(
        f"<tr><td>{escape(words.get(line.kind, line.kind))}</td><td class=n>{line.entries:,}</td>"
        f"<td class=n>{line.quantity:,}</td><td class=n>{_rials(line.amount, words)}</td></tr>"
        for line in invoice.charges
    )
    if invoice.refunds:
        lines += (
            f"<tr><td>{words['refunds']}</td><td></td><td></td>"
            f"<td class=n>−{_rials(invoice.refunds, words)}</td></tr>"
        )
    if not lines:
        lines = f"<tr><td colspan=4>{words['none']}</td></tr>"
    body = (
        f"<p>{words['period']}: <strong>{escape(chosen.label)}</strong> (<bdi>{span}</bdi>)</p>"
        f"<table><thead><tr><th>{words['kind']}</th><th class=n>{words['entries']}</th>"
        f"<th class=n>{words['units']}</th><th class=n>{words['sum']}</th></tr></thead>"
        f"<tbody>{lines}</tbody><tfoot><tr><td colspan=3>{words['total']}</td>"
        f"<td class=n>{_rials(invoice.total, words)}</td></tr></tfoot></table>"
        f"<p>{words['top_ups']}: {invoice.top_up_count:,} · {_rials(invoice.top_ups, words)}</p>"
    )
    return _page(
        tenant,
        title=words["invoice"],
        number=invoice_number(tenant, invoice),
        platform=platform,
        body=body,
        now=now or datetime.now(UTC),
    )
