"""A store's own SMS account through GraphQL: set, shown without its key, sealed at rest, cleared, guarded."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.messaging import accounts
from domain.messaging.models import SmsAccount
from domain.tenancy import service as tenancy
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.factories import TEST_SECRET, Owner, make_owner

SET = """
mutation Set($input: SmsAccountInput!) {
  setSmsAccount(input: $input) {
    smsAccount { id provider apiKeyLast4 line callbacks { deliveryPath inboundPath } }
    errors { code field message }
  }
}
"""
CLEAR = "mutation { clearSmsAccount { cleared errors { code } } }"
READ = "query { smsAccount { provider apiKeyLast4 line } }"
KEY = "5A2B3C4D5E6F-owner-kavenegar-key-9Z8Y"


async def set_account(client: ApiClient, owner: Owner, **input: Any) -> dict[str, Any]:
    variables = {"input": {"provider": "KAVENEGAR", "apiKey": KEY, "line": "10008663", **input}}
    payload: dict[str, Any] = (await client.graphql(SET, variables, token=owner.token)).ok()["setSmsAccount"]
    return payload


async def test_the_account_is_shown_by_its_last_four_characters_and_kept_only_sealed(
    client: ApiClient,
) -> None:
    """The answer and later reads show the key's last four characters only; the row holds it sealed, bound
    to the store (it opens with the server's key for this store and for no other)."""
    # given
    owner, other = await make_owner(), await make_owner()
    # when
    payload = await set_account(client, owner)
    read = (await client.graphql(READ, token=owner.token)).ok()["smsAccount"]
    # then
    account = payload["smsAccount"]
    assert payload["errors"] == []
    assert (account["provider"], account["apiKeyLast4"], account["line"]) == ("KAVENEGAR", "9Z8Y", "10008663")
    assert read == {"provider": "KAVENEGAR", "apiKeyLast4": "9Z8Y", "line": "10008663"}
    assert account["callbacks"]["deliveryPath"].startswith(f"/rest/v1/sms/kavenegar/{account['id']}/")
    row = await SmsAccount.get(tenant_id=owner.tenant.id)
    sealed = bytes(row.api_key_sealed)
    assert KEY.encode() not in sealed
    key = accounts.encryption_key(TEST_SECRET)
    assert accounts.unseal(sealed, key=key, tenant_id=owner.tenant.id) == KEY
    assert accounts.unseal(sealed, key=key, tenant_id=other.tenant.id) is None


async def test_the_schema_has_no_way_to_read_the_key_back(client: ApiClient) -> None:
    """SmsAccount's fields never include the key itself."""
    # given
    owner = await make_owner()
    # when
    fields = (
        await client.graphql('{ __type(name: "SmsAccount") { fields { name } } }', token=owner.token)
    ).ok()["__type"]["fields"]
    # then
    assert "apiKey" not in {field["name"] for field in fields}


async def test_setting_twice_and_at_once_leaves_one_account_with_the_last_key(client: ApiClient) -> None:
    """The same call twice, then two different ones at once: one row, holding one of the keys given."""
    # given
    owner = await make_owner()
    await set_account(client, owner)
    await set_account(client, owner)
    # when
    both = await asyncio.gather(
        set_account(client, owner, provider="SMSIR", apiKey="smsir-key-aaaa1111", line="30007732"),
        set_account(client, owner, provider="SMSIR", apiKey="smsir-key-bbbb2222", line="30007732"),
    )
    # then
    assert all(payload["errors"] == [] for payload in both)
    rows = await SmsAccount.filter(tenant_id=owner.tenant.id)
    assert len(rows) == 1 and rows[0].provider == "smsir" and rows[0].api_key_last4 in {"1111", "2222"}
    assert both[0]["smsAccount"]["callbacks"] is None  # sms.ir is polled


@pytest.mark.parametrize(
    ("input", "code", "field"),
    [
        ({"apiKey": ""}, "INVALID_API_KEY", "apiKey"),
        ({"apiKey": "short"}, "INVALID_API_KEY", "apiKey"),
        ({"apiKey": "k" * 10_000}, "INVALID_API_KEY", "apiKey"),
        ({"apiKey": "has space inside"}, "INVALID_API_KEY", "apiKey"),
        ({"apiKey": "abcdefgh\u0000"}, None, None),
        ({"line": "12"}, "INVALID_LINE", "line"),
        ({"line": "1000-8663"}, "INVALID_LINE", "line"),
        ({"line": "9" * 25}, "INVALID_LINE", "line"),
    ],
)
async def test_inputs_at_their_limits_are_refused_by_field(
    client: ApiClient, input: dict[str, str], code: str | None, field: str | None
) -> None:
    """Empty, too short, 10,000-character and spaced keys and malformed lines answer typed errors; NUL is
    refused before the mutation runs. Nothing is stored."""
    # given
    owner = await make_owner()
    variables = {"input": {"provider": "KAVENEGAR", "apiKey": KEY, "line": None, **input}}
    # when
    result = await client.graphql(SET, variables, token=owner.token)
    # then
    if code is None:
        assert result.errors is not None
    else:
        assert [(e["code"], e["field"]) for e in result.ok()["setSmsAccount"]["errors"]] == [(code, field)]
    assert await SmsAccount.filter(tenant_id=owner.tenant.id).count() == 0


async def test_clearing_returns_to_the_platform_line_and_clearing_again_is_harmless(
    client: ApiClient,
) -> None:
    """clearSmsAccount removes the account (cleared true), then answers false; smsAccount reads null."""
    # given
    owner = await make_owner()
    await set_account(client, owner)
    # when
    first = (await client.graphql(CLEAR, token=owner.token)).ok()["clearSmsAccount"]
    second = (await client.graphql(CLEAR, token=owner.token)).ok()["clearSmsAccount"]
    read = (await client.graphql(READ, token=owner.token)).ok()["smsAccount"]
    # then
    assert (first["cleared"], second["cleared"], read) == (True, False, None)


async def test_stores_do_not_see_or_touch_each_others_account(client: ApiClient) -> None:
    """Another store reads null and its clear touches nothing of ours."""
    # given
    owner, other = await make_owner(), await make_owner()
    await set_account(client, owner)
    # when
    theirs = (await client.graphql(READ, token=other.token)).ok()["smsAccount"]
    cleared = (await client.graphql(CLEAR, token=other.token)).ok()["clearSmsAccount"]["cleared"]
    # then
    assert (theirs, cleared) == (None, False)
    assert await SmsAccount.filter(tenant_id=owner.tenant.id).count() == 1


async def test_only_owners_set_the_account_and_analysts_do_not_read_it(client: ApiClient) -> None:
    """A marketer reads the account but may not set it; an analyst may do neither."""
    # given
    owner, marketer, analyst = await make_owner(), await make_owner(), await make_owner()
    await set_account(client, owner)
    await tenancy.grant_role(user_id=marketer.user.id, tenant_id=owner.tenant.id, role="marketer")
    await tenancy.grant_role(user_id=analyst.user.id, tenant_id=owner.tenant.id, role="analyst")
    marketer_token = issue_access_token(marketer.user.id, secret=TEST_SECRET, minutes=30)
    analyst_token = issue_access_token(analyst.user.id, secret=TEST_SECRET, minutes=30)
    variables = {"input": {"provider": "KAVENEGAR", "apiKey": "another-key-0000"}}
    # when
    marketer_read = await client.graphql(READ, token=marketer_token, tenant=owner.tenant_id)
    marketer_write = await client.graphql(SET, variables, token=marketer_token, tenant=owner.tenant_id)
    analyst_read = await client.graphql(READ, token=analyst_token, tenant=owner.tenant_id)
    # then
    assert marketer_read.ok()["smsAccount"]["apiKeyLast4"] == "9Z8Y"
    assert marketer_write.error_codes() == ["FORBIDDEN"]
    assert analyst_read.error_codes() == ["FORBIDDEN"]
