"""checkTopUp: the owner asks the gateway again about a top-up whose payer's browser never came back."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.billing.models import WalletEntry
from domain.payments.models import TopUp
from tests.support.api import ApiClient
from tests.support.factories import Owner, make_owner
from tests.support.zarinpal_server import ZarinpalServer

START = """
mutation($key: String!) {
  startTopUp(amount: 500000, clientKey: $key) { topUp { id } paymentUrl errors { code } }
}
"""
CHECK = """
mutation($id: ID!) { checkTopUp(id: $id) { topUp { id status refId } message errors { code field } } }
"""


async def start(client: ApiClient, owner: Owner, key: str = "k") -> tuple[str, str]:
    payload = (await client.graphql(START, {"key": key}, token=owner.token)).ok()["startTopUp"]
    return payload["topUp"]["id"], payload["paymentUrl"].rsplit("/", 1)[1]


async def check(client: ApiClient, owner: Owner, top_up_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await client.graphql(CHECK, {"id": top_up_id}, token=owner.token)).ok()[
        "checkTopUp"
    ]
    return payload


async def credits(owner: Owner) -> int:
    return await WalletEntry.filter(
        tenant_id=owner.tenant.id, kind="top_up", idempotency_key__startswith="top-up:"
    ).count()


async def test_a_payment_whose_browser_never_came_back_is_credited_by_a_check(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """Paid at Zarinpal, no callback: checkTopUp verifies it, credits it once; checking again and then the
    late callback change nothing."""
    # given
    owner = await make_owner()
    top_up_id, authority = await start(client, owner)
    callback = zarinpal.pay(authority)
    # when
    first = await check(client, owner, top_up_id)
    again = await check(client, owner, top_up_id)
    late = await client.http.get(callback.split("revisit.example", 1)[1])
    # then
    assert first["topUp"]["status"] == "PAID" and first["topUp"]["refId"]
    assert again == first
    assert late.status_code == 200 and first["topUp"]["refId"] in late.text
    assert await credits(owner) == 1
    assert len(zarinpal.verifications) == 1


async def test_a_check_while_the_payer_is_still_paying_leaves_the_top_up_pending(
    client: ApiClient, zarinpal: ZarinpalServer
) -> None:
    """Not paid yet (-51): still PENDING with the reason, so the payer who pays a minute later is credited
    by their callback."""
    # given
    owner = await make_owner()
    top_up_id, authority = await start(client, owner)
    # when
    early = await check(client, owner, top_up_id)
    callback = zarinpal.pay(authority)
    paid = await client.http.get(callback.split("revisit.example", 1)[1])
    # then
    assert early["topUp"]["status"] == "PENDING" and "-51" in early["message"]
    assert "پرداخت انجام شد" in paid.text
    assert (await TopUp.get(id=UUID(top_up_id))).status == "paid"
    assert await credits(owner) == 1


async def test_another_stores_top_up_cannot_be_checked(client: ApiClient, zarinpal: ZarinpalServer) -> None:
    """Another store's top-up id, or one that is no id at all: NOT_FOUND; the gateway is not asked."""
    # given
    owner, other = await make_owner(), await make_owner()
    theirs, authority = await start(client, other)
    zarinpal.pay(authority)
    # when
    crossed = await check(client, owner, theirs)
    malformed = await check(client, owner, "not-an-id")
    # then
    assert crossed["errors"][0]["code"] == "NOT_FOUND" and crossed["topUp"] is None
    assert malformed["errors"][0]["code"] == "NOT_FOUND"
    assert zarinpal.verifications == []
    assert await credits(other) == 0
