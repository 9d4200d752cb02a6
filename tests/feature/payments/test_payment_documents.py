"""Receipts of paid top-ups and monthly invoices of charges: listed in GraphQL, served to the store's own
owner as printable HTML, in the store's calendar, and to nobody else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jdatetime

from domain.billing import wallet
from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, Owner, make_owner
from tests.support.zarinpal_server import ZarinpalServer

START = """
mutation { startTopUp(amount: 500000, clientKey: "r-1") { topUp { id } paymentUrl errors { code } } }
"""
TOP_UPS = "query { topUps { nodes { id status refId receiptUrl } } }"
INVOICES = "query { invoices { year month label charged url startsAt endsAt } }"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def bearer(owner: Owner | str) -> dict[str, str]:
    token = owner if isinstance(owner, str) else owner.token
    return {"Authorization": f"Bearer {token}"}


async def paid_top_up(client: ApiClient, owner: Owner, zarinpal: ZarinpalServer) -> dict[str, Any]:
    started = (await client.graphql(START, token=owner.token)).ok()["startTopUp"]
    await client.http.get(path_of(zarinpal.pay(started["paymentUrl"].rsplit("/", 1)[1])))
    [node] = (await client.graphql(TOP_UPS, token=owner.token)).ok()["topUps"]["nodes"]
    node_: dict[str, Any] = node
    return node_


async def charge(owner: Owner) -> None:
    """Two SMS charges (3 parts, 1 part), a journey run, and the 1-part SMS refunded."""
    tenant_id = owner.tenant.id
    await wallet.charge(tenant_id, amount=4_500, key="sms:a", kind="sms", unit_price=1_500, quantity=3)
    await wallet.charge(tenant_id, amount=1_500, key="sms:b", kind="sms", unit_price=1_500, quantity=1)
    await wallet.charge(
        tenant_id, amount=20_000, key="run:a", kind="journey_run", unit_price=20_000, quantity=1
    )
    await wallet.refund(tenant_id, charge_key="sms:b")


async def test_a_paid_top_ups_receipt_is_a_page_to_keep(client: ApiClient, zarinpal: ZarinpalServer) -> None:
    """The receipt names the platform and the store, its number, the Jalali date, the gateway's reference,
    the masked card and the rials credited."""
    # given
    owner = await make_owner(store="فروشگاه <نمونه>")
    node = await paid_top_up(client, owner, zarinpal)
    # when
    page = await client.http.get(path_of(node["receiptUrl"]), headers=bearer(owner))
    # then
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    today = jdatetime.date.fromgregorian(date=datetime.now(UTC).date())
    assert "Revisit" in text and "فروشگاه &lt;نمونه&gt;" in text and "<نمونه>" not in text
    assert f"R-{node['id'].replace('-', '')[:12].upper()}" in text
    assert node["refId"] in text and "502229******5995" in text and "500,000 ریال" in text
    assert f"{today.year:04d}/{today.month:02d}/" in text
    assert 'dir="rtl"' in text


async def test_receipts_are_for_the_stores_owner_and_paid_top_ups_only(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """No token: 401; a marketer of the store (no billing permission): 403; another store's owner: 404; a
    pending top-up: 404; a malformed id: 404."""
    # given
    owner, other = await make_owner(), await make_owner()
    node = await paid_top_up(client, owner, zarinpal)
    pending = (await client.graphql(START.replace("r-1", "r-2"), token=owner.token)).ok()["startTopUp"][
        "topUp"
    ]["id"]
    marketer = await tenancy.create_user(
        email="m@example.ir", password="correct horse battery", full_name="M"
    )
    await tenancy.grant_role(user_id=marketer.id, tenant_id=owner.tenant.id, role="marketer")
    marketer_token = issue_access_token(marketer.id, secret=TEST_SECRET, minutes=5)
    receipt = path_of(node["receiptUrl"])
    # when
    statuses = [
        (await client.http.get(receipt)).status_code,
        (await client.http.get(receipt, headers=bearer(marketer_token))).status_code,
        (await client.http.get(receipt, headers=bearer(other))).status_code,
        (
            await client.http.get(f"/rest/v1/payments/top-ups/{pending}/receipt", headers=bearer(owner))
        ).status_code,
        (await client.http.get("/rest/v1/payments/top-ups/nope/receipt", headers=bearer(owner))).status_code,
    ]
    # then
    assert statuses == [401, 403, 404, 404, 404]


async def test_the_months_charges_are_listed_and_invoiced_by_kind(client: ApiClient) -> None:
    """This Jalali month's charges: invoices lists the month with 26,000 rials charged; its invoice shows
    SMS (2 charges, 4 parts, 6,000) and journey runs (20,000), the 1,500 refunded, and 24,500 in all."""
    # given
    owner = await make_owner()
    await charge(owner)
    today = jdatetime.date.fromgregorian(date=datetime.now(ZoneInfo(owner.tenant.timezone)).date())
    # when
    [month] = (await client.graphql(INVOICES, token=owner.token)).ok()["invoices"]
    page = await client.http.get(path_of(month["url"]), headers=bearer(owner))
    # then
    assert month["charged"] == 26_000
    assert month["url"].endswith(f"/rest/v1/payments/invoices/{month['year']}/{month['month']}")
    assert month["label"].endswith(str(month["year"])) and 1400 <= month["year"] <= 1500
    assert (today.year, today.month) == (month["year"], month["month"])
    text = page.text
    assert page.status_code == 200
    assert "پیامک (بخش)" in text and "6,000 ریال" in text
    assert "اجرای سفر مشتری" in text and "20,000 ریال" in text
    assert "−1,500 ریال" in text and "24,500 ریال" in text
    assert month["label"] in text


async def test_a_gregorian_store_gets_its_invoice_in_english_months(client: ApiClient) -> None:
    """An English-speaking store's month is a Gregorian one in its timezone («December 2026»), its page
    reads left to right; a month with no charges is an empty invoice, not an error."""
    # given
    owner = await make_owner(currency="EUR", country="DE", locale="en", timezone="Europe/Berlin")
    await charge(owner)
    # when
    [month] = (await client.graphql(INVOICES, token=owner.token)).ok()["invoices"]
    page = await client.http.get(path_of(month["url"]), headers=bearer(owner))
    empty = await client.http.get("/rest/v1/payments/invoices/2001/1", headers=bearer(owner))
    # then
    now = datetime.now(ZoneInfo("Europe/Berlin"))
    assert (month["year"], month["month"], month["label"]) == (now.year, now.month, f"{now:%B %Y}")
    assert 'dir="ltr"' in page.text and "SMS parts" in page.text and "24,500 IRR" in page.text
    assert empty.status_code == 200 and "No charges in this period." in empty.text


async def test_a_month_that_does_not_exist_is_a_400_and_another_stores_ledger_is_never_read(
    client: ApiClient,
) -> None:
    """Month 13, month 0, letters, a year of ten digits: 400 INVALID_PERIOD. Another owner reading the
    same month sees only their own (empty) charges."""
    # given
    owner, other = await make_owner(), await make_owner()
    await charge(owner)
    [month] = (await client.graphql(INVOICES, token=owner.token)).ok()["invoices"]
    # when
    bad = [
        await client.http.get(f"/rest/v1/payments/invoices/{period}", headers=bearer(owner))
        for period in ("1405/13", "1405/0", "abcd/1", "1234567890/1", "۱۴۰۵/۱")
    ]
    theirs = await client.http.get(path_of(month["url"]), headers=bearer(other))
    listed = (await client.graphql(INVOICES, token=other.token)).ok()["invoices"]
    # then
    assert [answer.status_code for answer in bad] == [400, 400, 400, 400, 400]
    assert {answer.json()["error"]["code"] for answer in bad} == {"INVALID_PERIOD"}
    assert theirs.status_code == 200 and "24,500" not in theirs.text
    assert listed == []
