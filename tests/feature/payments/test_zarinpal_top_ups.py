"""Top-ups through Zarinpal as an owner and a payer's browser meet them: startTopUp, StartPay, the callback
— repeated, concurrent, forged, not paid, of the wrong amount, and while Zarinpal is down."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from domain.billing import wallet
from domain.payments.models import TopUp
from tests.feature.payments.conftest import credited, credits
from tests.support.api import ApiClient
from tests.support.factories import Owner, make_owner
from tests.support.zarinpal_server import ZarinpalServer

START = """
mutation Start($amount: Money!, $key: String!) {
  startTopUp(amount: $amount, clientKey: $key) {
    topUp { id status amount chargeAmount chargeCurrency gateway paymentUrl }
    paymentUrl
    errors { code field message }
  }
}
"""
TOP_UPS = "query { topUps(first: 10) { nodes { id status amount refId cardMask receiptUrl paidAt } } }"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def start(client: ApiClient, owner: Owner, amount: Any = 500_000, key: str = "k-1") -> dict[str, Any]:
    result = await client.graphql(START, {"amount": amount, "key": key}, token=owner.token)
    payload: dict[str, Any] = result.ok()["startTopUp"]
    return payload


async def paid_at_zarinpal(client: ApiClient, owner: Owner, zarinpal: ZarinpalServer) -> tuple[str, str]:
    """A started top-up the payer paid at StartPay: its id and the callback path the browser is sent to."""
    payload = await start(client, owner)
    authority = payload["paymentUrl"].rsplit("/", 1)[1]
    return payload["topUp"]["id"], path_of(zarinpal.pay(authority))


async def test_starting_a_top_up_answers_zarinpals_start_pay_page(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """An Iranian store's top-up goes to Zarinpal in rials (currency IRR) with a callback naming the top-up,
    and the payer is sent to StartPay/<authority>."""
    # given
    owner = await make_owner()
    # when
    payload = await start(client, owner)
    # then
    top_up = payload["topUp"]
    assert payload["errors"] == []
    assert (top_up["status"], top_up["gateway"], top_up["amount"], top_up["chargeCurrency"]) == (
        "PENDING", "ZARINPAL", 500_000, "IRR",
    )  # fmt: skip
    authority = payload["paymentUrl"].rsplit("/", 1)[1]
    assert payload["paymentUrl"] == f"{zarinpal.base_url}/pg/StartPay/{authority}"
    [sent] = zarinpal.requests
    assert (sent["amount"], sent["currency"]) == (500_000, "IRR")
    assert (
        sent["callback_url"] == f"https://revisit.example/rest/v1/payments/zarinpal/callback/{top_up['id']}"
    )


async def test_the_same_client_key_starts_one_top_up_even_at_once(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """Five starts with one key, two of them at the same moment as three others: one top-up, one
    authority asked of Zarinpal, the same payment URL for all."""
    # given
    owner = await make_owner()
    # when
    answers = await asyncio.gather(*(start(client, owner, key="same") for _ in range(5)))
    # then
    assert len({answer["topUp"]["id"] for answer in answers}) == 1
    assert len({answer["paymentUrl"] for answer in answers}) == 1
    assert len(zarinpal.requests) == 1
    assert await TopUp.filter(tenant_id=owner.tenant.id).count() == 1


async def test_a_paid_callback_credits_the_wallet_once_however_often_it_comes(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """The browser comes back with Status=OK: verified (100), credited, a paid page with the reference. The
    same callback four times more: the same page, no second credit, no second verify."""
    # given
    owner = await make_owner()
    top_up_id, callback = await paid_at_zarinpal(client, owner, zarinpal)
    before = (await wallet.balance(owner.tenant.id)).balance
    # when
    first = await client.http.get(callback)
    again = [await client.http.get(callback) for _ in range(4)]
    # then
    row = await TopUp.get(id=UUID(top_up_id))
    assert first.status_code == 200 and "پرداخت انجام شد" in first.text and row.ref_id in first.text
    assert all(answer.status_code == 200 and row.ref_id in answer.text for answer in again)
    assert (row.status, row.card_mask) == ("paid", "502229******5995")
    assert (await wallet.balance(owner.tenant.id)).balance == before + 500_000
    assert await credited(owner) == 500_000
    assert await credits(owner) == 1
    assert len(zarinpal.verifications) == 1
    listed = (await client.graphql(TOP_UPS, token=owner.token)).ok()["topUps"]["nodes"]
    assert listed[0]["status"] == "PAID" and listed[0]["refId"] == row.ref_id
    assert listed[0]["receiptUrl"].endswith(f"/rest/v1/payments/top-ups/{top_up_id}/receipt")


async def test_fifty_callbacks_at_once_credit_exactly_once(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """Fifty concurrent callbacks of one paid authority: one credit of the amount, every answer paid."""
    # given
    owner = await make_owner()
    _, callback = await paid_at_zarinpal(client, owner, zarinpal)
    # when
    answers = await asyncio.gather(*(client.http.get(callback) for _ in range(50)))
    # then
    assert {answer.status_code for answer in answers} == {200}
    assert all("پرداخت انجام شد" in answer.text for answer in answers)
    assert await credits(owner) == 1
    assert await credited(owner) == 500_000


async def test_a_payer_who_gave_up_is_cancelled_and_an_unpaid_ok_is_failed(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """Status=NOK, verified anyway: -51, cancelled. Status=OK for an authority never paid (a forged
    callback): verify says -51, failed. Nothing is credited either way."""
    # given
    owner = await make_owner()
    gave_up = await start(client, owner, key="a")
    forged = await start(client, owner, key="b")
    cancel_callback = path_of(zarinpal.give_up(gave_up["paymentUrl"].rsplit("/", 1)[1]))
    forged_authority = forged["paymentUrl"].rsplit("/", 1)[1]
    forged_callback = (
        f"/rest/v1/payments/zarinpal/callback/{forged['topUp']['id']}?Authority={forged_authority}&Status=OK"
    )
    # when
    cancelled = await client.http.get(cancel_callback)
    failed = await client.http.get(forged_callback)
    # then
    assert "پرداخت لغو شد" in cancelled.text
    assert "پرداخت انجام نشد" in failed.text
    rows = {str(row.id): row for row in await TopUp.filter(tenant_id=owner.tenant.id)}
    assert rows[gave_up["topUp"]["id"]].status == "cancelled"
    assert (rows[forged["topUp"]["id"]].status, rows[forged["topUp"]["id"]].failure_code) == ("failed", "-51")
    assert await credits(owner) == 0


async def test_a_callback_naming_another_authority_changes_nothing(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """Another top-up's authority (even a paid one) on this top-up's callback: 400, no verify, still
    pending, nothing credited; an unknown top-up id or a malformed one: 404; no authority, NUL and control
    characters, or 10,000 characters of one: 400."""
    # given
    owner, other = await make_owner(), await make_owner()
    mine = await start(client, owner)
    _, theirs = await paid_at_zarinpal(client, other, zarinpal)
    their_authority = urlsplit(theirs).query.split("Authority=")[1].split("&")[0]
    # when
    crossed = await client.http.get(
        f"/rest/v1/payments/zarinpal/callback/{mine['topUp']['id']}?Authority={their_authority}&Status=OK"
    )
    unknown = await client.http.get(
        f"/rest/v1/payments/zarinpal/callback/{UUID(int=7)}?Authority={their_authority}&Status=OK"
    )
    malformed = await client.http.get("/rest/v1/payments/zarinpal/callback/x?Authority=A1&Status=OK")
    empty = await client.http.get(f"/rest/v1/payments/zarinpal/callback/{mine['topUp']['id']}?Status=OK")
    control = await client.http.get(
        f"/rest/v1/payments/zarinpal/callback/{mine['topUp']['id']}?Authority=A%00%01&Status=OK"
    )
    huge = await client.http.get(
        f"/rest/v1/payments/zarinpal/callback/{mine['topUp']['id']}?Authority={'A' * 10_000}&Status=OK"
    )
    # then
    assert [crossed.status_code, unknown.status_code, malformed.status_code] == [400, 404, 404]
    assert [empty.status_code, control.status_code, huge.status_code] == [400, 400, 400]
    assert zarinpal.verifications == []
    assert (await TopUp.get(id=UUID(mine["topUp"]["id"]))).status == "pending"
    assert await credits(owner) == 0 and await credits(other) == 0


async def test_a_payment_of_another_amount_fails_the_top_up(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """Zarinpal holds a different amount for the authority than the top-up (-50): failed, nothing
    credited, and a later callback does not ask again."""
    # given
    owner = await make_owner()
    payload = await start(client, owner)
    authority = payload["paymentUrl"].rsplit("/", 1)[1]
    zarinpal.payments[authority].amount = 100_000
    callback = path_of(zarinpal.pay(authority))
    # when
    answer = await client.http.get(callback)
    await client.http.get(callback)
    # then
    row = await TopUp.get(id=UUID(payload["topUp"]["id"]))
    assert "پرداخت انجام نشد" in answer.text
    assert (row.status, row.failure_code) == ("failed", "-50")
    assert await credits(owner) == 0
    assert len(zarinpal.verifications) == 1


async def test_while_zarinpal_is_down_the_top_up_stays_pending_and_the_next_callback_pays_it(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """Verify answers an HTML 500, then -12 (too many attempts): the payer is told it is not confirmed
    yet and the top-up stays pending; the third callback verifies and credits it."""
    # given
    owner = await make_owner()
    top_up_id, callback = await paid_at_zarinpal(client, owner, zarinpal)
    zarinpal.fail_next(500)
    zarinpal.fail_next(-12)
    # when
    down = await client.http.get(callback)
    busy = await client.http.get(callback)
    status_between = (await TopUp.get(id=UUID(top_up_id))).status
    back = await client.http.get(callback)
    # then
    assert "هنوز تأیید نشده" in down.text and "هنوز تأیید نشده" in busy.text
    assert status_between == "pending"
    assert "پرداخت انجام شد" in back.text
    assert await credits(owner) == 1


async def test_a_configured_return_url_receives_the_browser_with_the_outcome(
    client: ApiClient, zarinpal: ZarinpalServer, settings: Any
) -> None:
    """With payment_return_url set, the callback redirects (303) to it with top_up and status."""
    # given
    settings.payment_return_url = "https://dashboard.example/wallet?tab=top-ups"
    owner = await make_owner()
    top_up_id, callback = await paid_at_zarinpal(client, owner, zarinpal)
    # when
    answer = await client.http.get(callback)
    # then
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        f"https://dashboard.example/wallet?tab=top-ups&top_up={top_up_id}&status=paid"
    )


async def test_another_stores_top_ups_are_not_listed(client: ApiClient, zarinpal: ZarinpalServer) -> None:
    """Each owner lists only their own store's top-ups."""
    # given
    owner, other = await make_owner(), await make_owner()
    await start(client, owner)
    await start(client, other, key="theirs")
    # when
    mine = (await client.graphql(TOP_UPS, token=owner.token)).ok()["topUps"]["nodes"]
    # then
    assert len(mine) == 1
    assert await TopUp.filter(tenant_id=owner.tenant.id, id=UUID(mine[0]["id"])).exists()
