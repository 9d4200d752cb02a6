"""The owner's billing through GraphQL: the wallet and its ledger, settings and plans at their limits,
admin tariffs that previews price with, the projected cost of journeys, and every store its own."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

from tortoise.transactions import in_transaction

from domain.billing import charging, wallet
from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, Owner, make_owner

WALLET = """
query Wallet($tenantId: ID) {
  wallet(tenantId: $tenantId) {
    balance reserved available currency ownerPhone lowBalanceThreshold lowBalanceWarnedAt
    hold { reason needed ownerNotifiedAt }
    plan { plan periodStartsAt periodEndsAt renews }
  }
}
"""
LEDGER = """
query Ledger($kinds: [WalletEntryKind!], $first: Int, $after: String) {
  walletLedger(kinds: $kinds, first: $first, after: $after) {
    nodes { kind chargeKind amount balanceChange reservedChange unitPrice quantity reference key }
    pageInfo { hasNextPage endCursor }
  }
}
"""
SETTINGS = """
mutation Settings($phone: String, $threshold: Money) {
  setBillingSettings(ownerPhone: $phone, lowBalanceThreshold: $threshold) {
    wallet { ownerPhone lowBalanceThreshold }
    errors { code field message }
  }
}
"""
SUBSCRIBE = """
mutation Subscribe($plan: Plan!, $key: String!) {
  subscribeToPlan(plan: $plan, clientKey: $key) {
    wallet { balance plan { plan periodEndsAt renews } }
    errors { code field message needed available }
  }
}
"""
TARIFF = "query { tariff { annualFee journeyRunPrice smsPartPrice source } }"
SET_PLATFORM = """
mutation Set($input: PlatformTariffInput!) {
  setPlatformTariff(input: $input) { tariff { smsPartPrice source } errors { code field } }
}
"""
SET_TENANT = """
mutation Set($tenantId: ID!, $input: TenantTariffInput!) {
  setTenantTariff(tenantId: $tenantId, input: $input) {
    tariff { smsPartPrice journeyRunPrice source }
    errors { code field }
  }
}
"""
PREVIEW = """
query Preview($template: String!) {
  previewMessage(template: $template, purpose: TRANSACTIONAL) { preview { parts cost } }
}
"""
PROJECTED = """
query Projected($days: Int!) {
  projectedJourneyCost(days: $days) { days runPrice partPrice cost journeys { name runs parts cost } }
}
"""


async def empty_owner() -> Owner:
    return await make_owner(currency="IRR", funded=False)


async def admin_token() -> str:
    admin = await tenancy.create_user(
        email=f"admin{uuid4().hex[:8]}@revisit.ir", password="correct horse battery"
    )
    await tenancy.grant_role(user_id=admin.id, tenant_id=None, role="platform_admin")
    return issue_access_token(admin.id, secret=TEST_SECRET, minutes=30)


async def test_a_new_store_sees_an_empty_wallet_on_pay_as_you_go(client: ApiClient) -> None:
    """Zero everywhere, no hold, pay as you go, IRR."""
    # given
    owner = await empty_owner()
    # when
    result = await client.graphql(WALLET, token=owner.token)
    # then
    assert result.ok()["wallet"] == {
        "balance": 0,
        "reserved": 0,
        "available": 0,
        "currency": "IRR",
        "ownerPhone": None,
        "lowBalanceThreshold": None,
        "lowBalanceWarnedAt": None,
        "hold": None,
        "plan": {"plan": "PAY_AS_YOU_GO", "periodStartsAt": None, "periodEndsAt": None, "renews": False},
    }


async def test_the_ledger_lists_lines_newest_first_paged_and_filtered_by_kind(client: ApiClient) -> None:
    """Top-up, reservation, charge and release show with what each did; kinds filters; pages follow."""
    # given
    owner = await empty_owner()
    await wallet.top_up(owner.tenant.id, amount=50_000, key="zp:1", reference="zarinpal:A1")
    await wallet.reserve(owner.tenant.id, amount=10_000, key="campaign:1")
    await wallet.charge(
        owner.tenant.id,
        amount=3_000,
        key="sms:1",
        kind="sms",
        reservation_key="campaign:1",
        unit_price=1_500,
        quantity=2,
    )
    await wallet.release(owner.tenant.id, key="campaign:1")
    # when
    everything = (await client.graphql(LEDGER, token=owner.token)).ok()["walletLedger"]
    charges = (await client.graphql(LEDGER, {"kinds": ["CHARGE"]}, token=owner.token)).ok()["walletLedger"]
    first = (await client.graphql(LEDGER, {"first": 2}, token=owner.token)).ok()["walletLedger"]
    rest = (
        await client.graphql(LEDGER, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=owner.token)
    ).ok()["walletLedger"]
    # then
    assert [node["kind"] for node in everything["nodes"]] == ["RELEASE", "CHARGE", "RESERVATION", "TOP_UP"]
    assert charges["nodes"] == [
        {
            "kind": "CHARGE",
            "chargeKind": "sms",
            "amount": 3_000,
            "balanceChange": -3_000,
            "reservedChange": -3_000,
            "unitPrice": 1_500,
            "quantity": 2,
            "reference": None,
            "key": "sms:1",
        }
    ]
    assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
    assert [n["kind"] for n in first["nodes"] + rest["nodes"]] == [n["kind"] for n in everything["nodes"]]
    wallet_now = (await client.graphql(WALLET, token=owner.token)).ok()["wallet"]
    assert (wallet_now["balance"], wallet_now["reserved"], wallet_now["available"]) == (47_000, 0, 47_000)


async def test_billing_settings_are_validated_at_their_limits(client: ApiClient) -> None:
    """A local number is kept in E.164; nonsense, 10,000 characters, NUL, negative and huge thresholds are
    refused with the field named and change nothing; null clears; a setting left out stays."""
    # given
    owner = await empty_owner()
    # when
    saved = (
        await client.graphql(SETTINGS, {"phone": "0912 111 0000", "threshold": 20_000}, token=owner.token)
    ).ok()
    refusals = [
        (await client.graphql(SETTINGS, variables, token=owner.token)).ok()["setBillingSettings"]["errors"]
        for variables in (
            {"phone": "not a phone"},
            {"phone": "9" * 10_000},
            {"phone": "0912\x001110000"},
            {"threshold": -1},
            {"threshold": 10**15 + 1},
        )
    ]
    kept = (await client.graphql(SETTINGS, {"threshold": 5_000}, token=owner.token)).ok()
    cleared = (await client.graphql(SETTINGS, {"phone": None}, token=owner.token)).ok()
    # then
    assert saved["setBillingSettings"]["wallet"] == {
        "ownerPhone": "+989121110000",
        "lowBalanceThreshold": 20_000,
    }
    assert [[(e["code"], e["field"]) for e in errors] for errors in refusals] == [
        [("INVALID_PHONE", "ownerPhone")],
        [("INVALID_PHONE", "ownerPhone")],
        [("INVALID", "ownerPhone")],  # NUL: refused by the text guard before the resolver
        [("INVALID_AMOUNT", "lowBalanceThreshold")],
        [("INVALID_AMOUNT", "lowBalanceThreshold")],
    ]
    assert kept["setBillingSettings"]["wallet"] == {
        "ownerPhone": "+989121110000",
        "lowBalanceThreshold": 5_000,
    }
    assert cleared["setBillingSettings"]["wallet"] == {"ownerPhone": None, "lowBalanceThreshold": 5_000}


async def test_the_annual_plan_is_refused_without_funds_and_charged_once_with_them(client: ApiClient) -> None:
    """INSUFFICIENT_FUNDS says what is needed and available and changes nothing; with funds, 5 concurrent
    requests with one key and a second key charge the fee once."""
    # given
    owner = await empty_owner()
    await wallet.top_up(owner.tenant.id, amount=10_000, key="t1", reference="test")
    # when
    refused = (await client.graphql(SUBSCRIBE, {"plan": "ANNUAL", "key": "k1"}, token=owner.token)).ok()
    await wallet.top_up(owner.tenant.id, amount=60_000_000, key="t2", reference="test")
    results = await asyncio.gather(
        *(client.graphql(SUBSCRIBE, {"plan": "ANNUAL", "key": "k1"}, token=owner.token) for _ in range(5))
    )
    second_key = (await client.graphql(SUBSCRIBE, {"plan": "ANNUAL", "key": "k2"}, token=owner.token)).ok()
    # then
    [error] = refused["subscribeToPlan"]["errors"]
    assert (error["code"], error["needed"], error["available"]) == ("INSUFFICIENT_FUNDS", 50_000_000, 10_000)
    states = [result.ok()["subscribeToPlan"]["wallet"] for result in results]
    assert {state["balance"] for state in states} == {10_000 + 60_000_000 - 50_000_000}
    assert all(state["plan"]["plan"] == "ANNUAL" and state["plan"]["renews"] for state in states)
    assert second_key["subscribeToPlan"]["wallet"]["balance"] == 10_010_000
    charges = await wallet.ledger_sums(owner.tenant.id)
    assert charges.balance == 10_010_000


async def test_plan_and_key_inputs_at_their_limits(client: ApiClient) -> None:
    """An unknown plan is a GraphQL error; an empty, 101-character or control-character key is INVALID_KEY."""
    # given
    owner = await empty_owner()
    # when
    unknown = await client.graphql(SUBSCRIBE, {"plan": "FOREVER", "key": "k"}, token=owner.token)
    keys = [
        (await client.graphql(SUBSCRIBE, {"plan": "PAY_AS_YOU_GO", "key": key}, token=owner.token)).ok()
        for key in ("", "k" * 101, "a\nb")
    ]
    # then
    assert unknown.errors
    assert [r["subscribeToPlan"]["errors"][0]["code"] for r in keys] == ["INVALID_KEY"] * 3


async def test_only_a_platform_admin_sets_tariffs_and_previews_price_by_them(client: ApiClient) -> None:
    """An owner cannot set prices; an admin's store price (2,000) is what the store's tariff, its message
    previews and its SMS charges use, while other stores keep the platform's."""
    # given
    owner, other = await empty_owner(), await empty_owner()
    admin = await admin_token()
    store_price = {"tenantId": owner.tenant_id, "input": {"smsPartPrice": 2_000}}
    # when
    forbidden = await client.graphql(SET_TENANT, store_price, token=owner.token)
    set_by_admin = (await client.graphql(SET_TENANT, store_price, token=admin)).ok()
    mine = (await client.graphql(TARIFF, token=owner.token)).ok()["tariff"]
    theirs = (await client.graphql(TARIFF, token=other.token)).ok()["tariff"]
    preview = (await client.graphql(PREVIEW, {"template": "سلام"}, token=owner.token)).ok()
    # then
    assert forbidden.error_codes() == ["FORBIDDEN"]
    assert set_by_admin["setTenantTariff"]["tariff"] == {
        "smsPartPrice": 2_000,
        "journeyRunPrice": 500,
        "source": "store",
    }
    assert (mine["smsPartPrice"], mine["source"]) == (2_000, "store")
    assert (theirs["smsPartPrice"], theirs["source"]) == (1_500, "settings")
    assert preview["previewMessage"]["preview"] == {"parts": 1, "cost": 2_000}
    await wallet.top_up(owner.tenant.id, amount=10_000, key="t", reference="test")
    async with in_transaction() as connection:
        assert await charging.charge_messages(connection, owner.tenant, [(uuid4(), 1)])
    assert (await wallet.balance(owner.tenant.id)).balance == 8_000


async def test_tariff_inputs_at_their_limits(client: ApiClient) -> None:
    """Negative, huge and past-dated prices and unknown providers are refused with the field named; an
    unknown store is NOT_FOUND."""
    # given
    admin = await admin_token()
    base: dict[str, Any] = {"annualFee": 1, "journeyRunPrice": 1, "smsPartPrice": 1}
    # when
    answers = [
        (await client.graphql(SET_PLATFORM, {"input": {**base, **change}}, token=admin)).ok()[
            "setPlatformTariff"
        ]
        for change in (
            {"smsPartPrice": -1},
            {"annualFee": 10**12 + 1},
            {"effectiveFrom": "2020-01-01T00:00:00+00:00"},
            {"providerPartPrices": [{"provider": "pigeon", "partPrice": 1}]},
        )
    ]
    missing = (
        await client.graphql(
            SET_TENANT, {"tenantId": str(uuid4()), "input": {"smsPartPrice": 1}}, token=admin
        )
    ).ok()
    accepted = (
        await client.graphql(SET_PLATFORM, {"input": {**base, "smsPartPrice": 1_700}}, token=admin)
    ).ok()
    # then
    assert [(a["errors"][0]["code"], a["errors"][0]["field"]) for a in answers] == [
        ("INVALID_PRICE", "smsPartPrice"),
        ("INVALID_PRICE", "annualFee"),
        ("PAST_EFFECTIVE_FROM", "effectiveFrom"),
        ("INVALID_PROVIDER", "providerPartPrices"),
    ]
    assert missing["setTenantTariff"]["errors"][0]["code"] == "NOT_FOUND"
    assert accepted["setPlatformTariff"]["tariff"] == {"smsPartPrice": 1_700, "source": "platform"}


async def test_stores_never_see_each_others_wallet(client: ApiClient) -> None:
    """An owner asking for another store's wallet is refused; analysts read billing but cannot write it."""
    # given
    owner, other = await empty_owner(), await empty_owner()
    await wallet.top_up(other.tenant.id, amount=9_999, key="t", reference="test")
    await tenancy.grant_role(user_id=owner.user.id, tenant_id=other.tenant.id, role="analyst")
    # when
    mine = (await client.graphql(WALLET, token=owner.token, tenant=owner.tenant_id)).ok()["wallet"]
    stranger = await make_owner(funded=False)
    refused = await client.graphql(WALLET, {"tenantId": other.tenant_id}, token=stranger.token)
    as_analyst = (await client.graphql(WALLET, token=owner.token, tenant=other.tenant_id)).ok()["wallet"]
    analyst_write = await client.graphql(
        SETTINGS, {"threshold": 1}, token=owner.token, tenant=other.tenant_id
    )
    # then
    assert mine["balance"] == 0
    assert refused.error_codes() == ["FORBIDDEN"]
    assert as_analyst["balance"] == 9_999
    assert analyst_write.error_codes() == ["FORBIDDEN"]


async def test_projected_cost_is_recent_rates_times_the_tariff(client: ApiClient) -> None:
    """With no active journeys the projection is zero; days outside 1–366 are refused."""
    # given
    owner = await empty_owner()
    # when
    week = (await client.graphql(PROJECTED, {"days": 7}, token=owner.token)).ok()["projectedJourneyCost"]
    refused = [await client.graphql(PROJECTED, {"days": days}, token=owner.token) for days in (0, 367, -5)]
    # then
    assert week == {"days": 7, "runPrice": 500, "partPrice": 1_500, "cost": 0, "journeys": []}
    assert all(result.error_codes() == ["INVALID_DAYS"] for result in refused)
