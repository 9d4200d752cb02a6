"""The sending policy through GraphQL: the owner reads and changes quiet hours, caps and the consent
mode (validated, typed errors, owners only), keeps the suppression list by hand, and previews a
template as the customer would read it with its parts and cost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.messaging import service as messaging
from domain.messaging.models import SmsSuppression
from domain.tenancy import service as tenancy
from domain.tenancy.models import Tenant
from domain.tenancy.security import issue_access_token
from tests.support.api import ApiClient
from tests.support.automation import make_customer
from tests.support.factories import TEST_SECRET, Owner, make_owner

POLICY = """
query Policy {
  sendingPolicy { quietHoursStart quietHoursEnd timezone dailyCap weeklyCap consentMode
                  chosenConsentMode countryConsentMode }
}
"""
UPDATE = """
mutation Update($input: SendingPolicyInput!) {
  updateSendingPolicy(input: $input) {
    policy { quietHoursStart quietHoursEnd dailyCap weeklyCap consentMode chosenConsentMode }
    errors { code field message }
  }
}
"""
ADD = """
mutation Add($phone: String!) {
  addSmsSuppression(phone: $phone) {
    suppression { phone source keyword addedByUserId liftedAt }
    errors { code field }
  }
}
"""
REMOVE = """
mutation Remove($phone: String!) {
  removeSmsSuppression(phone: $phone) { suppression { phone liftedAt liftedByUserId } errors { code field } }
}
"""
LIST = """
query List($phone: String, $lifted: Boolean!) {
  smsSuppressions(phone: $phone, includeLifted: $lifted) { nodes { phone source liftedAt } }
}
"""
PREVIEW = """
query Preview($template: String!, $purpose: MessagePurpose!, $values: [TemplateValueInput!]) {
  previewMessage(template: $template, purpose: $purpose, sampleValues: $values) {
    preview { text encoding characters parts cost variables }
    errors { code field message }
  }
}
"""


async def call(client: ApiClient, owner: Owner, query: str, variables: dict[str, Any] | None = None) -> Any:
    return await client.graphql(query, variables or {}, token=owner.token, tenant=owner.tenant_id)


async def as_role(owner: Owner, role: str) -> str:
    """A token of another user holding ``role`` in the owner's store."""
    member = await make_owner()
    await tenancy.grant_role(user_id=member.user.id, tenant_id=owner.tenant.id, role=role)
    return issue_access_token(member.user.id, secret=TEST_SECRET, minutes=30)


async def test_a_new_iranian_store_has_the_default_policy(client: ApiClient, db: None) -> None:
    """22:00–08:00 Tehran, one a day and three a week, opt-out as Iran's norm."""
    # given
    owner = await make_owner()
    # when
    policy = (await call(client, owner, POLICY)).ok()["sendingPolicy"]
    # then
    assert policy == {
        "quietHoursStart": "22:00",
        "quietHoursEnd": "08:00",
        "timezone": "Asia/Tehran",
        "dailyCap": 1,
        "weeklyCap": 3,
        "consentMode": "OPT_OUT",
        "chosenConsentMode": None,
        "countryConsentMode": "OPT_OUT",
    }


async def test_a_british_store_asks_first_unless_it_chooses_otherwise(client: ApiClient, db: None) -> None:
    """The country's norm applies until the store chooses; null goes back to the norm."""
    # given
    owner = await make_owner(currency="GBP", locale="en", timezone="Europe/London")
    # when
    before = (await call(client, owner, POLICY)).ok()["sendingPolicy"]["consentMode"]
    chosen = (await call(client, owner, UPDATE, {"input": {"consentMode": "OPT_OUT"}})).ok()
    back = (await call(client, owner, UPDATE, {"input": {"consentMode": None}})).ok()
    # then
    assert before == "OPT_IN"
    assert chosen["updateSendingPolicy"]["policy"]["consentMode"] == "OPT_OUT"
    assert back["updateSendingPolicy"]["policy"]["consentMode"] == "OPT_IN"
    assert back["updateSendingPolicy"]["policy"]["chosenConsentMode"] is None


async def test_the_owner_changes_only_what_they_send(client: ApiClient, db: None) -> None:
    """Quiet hours 23:30–07:00 and no weekly cap; the daily cap stays; the same change twice is the same."""
    # given
    owner = await make_owner()
    change = {"input": {"quietHoursStart": "23:30", "quietHoursEnd": "07:00", "weeklyCap": None}}
    # when
    first = (await call(client, owner, UPDATE, change)).ok()["updateSendingPolicy"]
    again = (await call(client, owner, UPDATE, change)).ok()["updateSendingPolicy"]
    # then
    assert first == again
    assert first["errors"] == []
    assert first["policy"] == {
        "quietHoursStart": "23:30",
        "quietHoursEnd": "07:00",
        "dailyCap": 1,
        "weeklyCap": None,
        "consentMode": "OPT_OUT",
        "chosenConsentMode": None,
    }
    tenant = await Tenant.get(id=owner.tenant.id)
    assert (tenant.quiet_hours_start, tenant.quiet_hours_end, tenant.marketing_weekly_cap) == (
        1410,
        420,
        None,
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quietHoursStart": "24:00"}, "quietHoursStart"),
        ({"quietHoursStart": "7:00"}, "quietHoursStart"),
        ({"quietHoursEnd": ""}, "quietHoursEnd"),
        ({"quietHoursEnd": "08:00" + "0" * 10_000}, "quietHoursEnd"),
        ({"quietHoursStart": None}, "quietHoursStart"),
        ({"dailyCap": -1}, "dailyCap"),
        ({"dailyCap": 51}, "dailyCap"),
        ({"weeklyCap": 2_000_000_000}, "weeklyCap"),
        ({"dailyCap": 2, "weeklyCap": 99}, "weeklyCap"),
    ],
)
async def test_settings_out_of_range_are_typed_errors_that_change_nothing(
    client: ApiClient, db: None, change: dict[str, Any], field: str
) -> None:
    """Times are HH:MM, caps 0 to 50 or null; a refused change leaves every setting as it was."""
    # given
    owner = await make_owner()
    # when
    result = (await call(client, owner, UPDATE, {"input": change})).ok()["updateSendingPolicy"]
    # then
    assert result["policy"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID", field)]
    tenant = await Tenant.get(id=owner.tenant.id)
    assert (tenant.quiet_hours_start, tenant.marketing_daily_cap, tenant.marketing_weekly_cap) == (1320, 1, 3)


async def test_caps_at_their_limits_are_accepted(client: ApiClient, db: None) -> None:
    """0 (no marketing) and 50 are caps; equal times switch quiet hours off."""
    # given
    owner = await make_owner()
    # when
    result = await call(
        client,
        owner,
        UPDATE,
        {"input": {"dailyCap": 0, "weeklyCap": 50, "quietHoursStart": "00:00", "quietHoursEnd": "00:00"}},
    )
    # then
    policy = result.ok()["updateSendingPolicy"]["policy"]
    assert (policy["dailyCap"], policy["weeklyCap"], policy["quietHoursStart"], policy["quietHoursEnd"]) == (
        0,
        50,
        "00:00",
        "00:00",
    )


async def test_marketers_read_the_policy_but_only_owners_change_it(client: ApiClient, db: None) -> None:
    """The policy is a store setting: tenant:write, like the store's other settings."""
    # given
    owner = await make_owner()
    token = await as_role(owner, "marketer")
    # when
    read = await client.graphql(POLICY, token=token, tenant=owner.tenant_id)
    write = await client.graphql(UPDATE, {"input": {"dailyCap": 5}}, token=token, tenant=owner.tenant_id)
    # then
    assert read.ok()["sendingPolicy"]["dailyCap"] == 1
    assert write.error_codes() == ["FORBIDDEN"]


async def test_another_stores_policy_is_out_of_reach(client: ApiClient, db: None) -> None:
    """Naming another store's id is refused, and its settings stay."""
    # given
    owner, other = await make_owner(), await make_owner()
    # when
    result = await client.graphql(
        "mutation($t: ID!) { updateSendingPolicy(tenantId: $t, input: {dailyCap: 9}) { errors { code } } }",
        {"t": other.tenant_id},
        token=owner.token,
    )
    # then
    assert result.error_codes() == ["FORBIDDEN"]
    assert (await Tenant.get(id=other.tenant.id)).marketing_daily_cap == 1


async def test_the_owner_adds_and_removes_a_suppression_and_who_did_is_kept(
    client: ApiClient, db: None
) -> None:
    """A phone written with Persian digits is stored as E.164; adding twice is one row; removing keeps
    the row with who removed it; the list shows removed ones only when asked."""
    # given
    owner = await make_owner()
    # when
    added = (await call(client, owner, ADD, {"phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷"})).ok()["addSmsSuppression"]
    twice = (await call(client, owner, ADD, {"phone": "+989121234567"})).ok()["addSmsSuppression"]
    listed = (await call(client, owner, LIST, {"lifted": False})).ok()["smsSuppressions"]["nodes"]
    removed = (await call(client, owner, REMOVE, {"phone": "09121234567"})).ok()["removeSmsSuppression"]
    after = (await call(client, owner, LIST, {"lifted": False})).ok()["smsSuppressions"]["nodes"]
    history = (await call(client, owner, LIST, {"lifted": True, "phone": "0912 123 4567"})).ok()
    # then
    assert added["suppression"] == {
        "phone": "+989121234567",
        "source": "owner",
        "keyword": None,
        "addedByUserId": str(owner.user.id),
        "liftedAt": None,
    }
    assert twice["suppression"] == added["suppression"]
    assert [n["phone"] for n in listed] == ["+989121234567"]
    assert removed["suppression"]["liftedByUserId"] == str(owner.user.id)
    assert after == []
    assert [n["phone"] for n in history["smsSuppressions"]["nodes"]] == ["+989121234567"]
    assert await SmsSuppression.filter(tenant_id=owner.tenant.id).count() == 1


async def test_suppression_inputs_at_their_limits(client: ApiClient, db: None) -> None:
    """Bad phones are INVALID_PHONE (NUL: INVALID), a phone never suppressed NOT_FOUND; nothing is written."""
    # given
    owner = await make_owner()
    # when / then
    for phone in ["", "abc", "0912", "9" * 10_000, "+98 912 123 4567 8"]:
        result = await call(client, owner, ADD, {"phone": phone})
        assert result.ok()["addSmsSuppression"]["errors"] == [{"code": "INVALID_PHONE", "field": "phone"}], (
            phone
        )
    refused = await call(client, owner, ADD, {"phone": "0912\u0000"})
    assert refused.ok()["addSmsSuppression"]["errors"] == [{"code": "INVALID", "field": "phone"}]
    missing = (await call(client, owner, REMOVE, {"phone": "09129999999"})).ok()["removeSmsSuppression"]
    assert missing["errors"] == [{"code": "NOT_FOUND", "field": "phone"}]
    assert not await SmsSuppression.filter(tenant_id=owner.tenant.id).exists()


async def test_the_same_suppression_added_at_once_is_one_row(client: ApiClient, db: None) -> None:
    """Five clicks at once leave one row and five identical answers."""
    # given
    owner = await make_owner()
    # when
    results = await asyncio.gather(*(call(client, owner, ADD, {"phone": "09121234567"}) for _ in range(5)))
    # then
    answers = [r.ok()["addSmsSuppression"]["suppression"]["phone"] for r in results]
    assert answers == ["+989121234567"] * 5
    assert await SmsSuppression.filter(tenant_id=owner.tenant.id).count() == 1


async def test_marketers_keep_the_list_but_only_owners_lift_an_opt_out(client: ApiClient, db: None) -> None:
    """Adding is messages:write; removing overrides a customer's own opt-out, so it is tenant:write."""
    # given
    owner = await make_owner()
    token = await as_role(owner, "marketer")
    # when
    added = await client.graphql(ADD, {"phone": "09121234567"}, token=token, tenant=owner.tenant_id)
    removed = await client.graphql(REMOVE, {"phone": "09121234567"}, token=token, tenant=owner.tenant_id)
    # then
    assert added.ok()["addSmsSuppression"]["errors"] == []
    assert removed.error_codes() == ["FORBIDDEN"]


async def test_a_preview_renders_the_persian_template_with_footer_parts_and_cost(
    client: ApiClient, db: None
) -> None:
    """Sample values in the store's way (Persian digits, toman, Jalali), the footer, UCS-2, the price."""
    # given
    owner = await make_owner()
    template = "{first_name} جان، کد {coupon_code} با {coupon_value} تخفیف تا {coupon_expiry}. {store}"
    # when
    result = await call(
        client,
        owner,
        PREVIEW,
        {"template": template, "purpose": "MARKETING", "values": [{"name": "coupon_code", "value": "WB15"}]},
    )
    # then
    preview = result.ok()["previewMessage"]["preview"]
    assert preview["text"].startswith("سارا جان، کد WB15 با ۱۵٪ تخفیف تا ")
    assert preview["text"].endswith(f". {owner.tenant.name}\nلغو۱۱")
    assert any(
        month in preview["text"]
        for month in (
            "فروردین",
            "اردیبهشت",
            "خرداد",
            "تیر",
            "مرداد",
            "شهریور",
            "مهر",
            "آبان",
            "آذر",
            "دی",
            "بهمن",
            "اسفند",
        )
    )
    assert preview["encoding"] == "UCS-2"
    assert preview["parts"] == (1 if preview["characters"] <= 70 else 2)
    assert preview["cost"] == preview["parts"] * 1_500
    assert preview["variables"] == ["coupon_code", "coupon_expiry", "coupon_value", "first_name", "store"]


async def test_a_transactional_preview_has_no_footer(client: ApiClient, db: None) -> None:
    """An English receipt stays GSM-7 and one part."""
    # given
    owner = await make_owner(currency="GBP", locale="en", timezone="Europe/London")
    # when
    result = await call(
        client, owner, PREVIEW, {"template": "Thanks {first_name}!", "purpose": "TRANSACTIONAL"}
    )
    # then
    assert result.ok()["previewMessage"]["preview"] == {
        "text": "Thanks Sara!",
        "encoding": "GSM-7",
        "characters": 12,
        "parts": 1,
        "cost": 1_500,
        "variables": ["first_name"],
    }


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"template": "Hi {firstname}"}, "UNKNOWN_VARIABLE", "template"),
        ({"template": "Hi {first_name"}, "INVALID_TEMPLATE", "template"),
        ({"template": ""}, "EMPTY_MESSAGE", "template"),
        ({"template": "   "}, "EMPTY_MESSAGE", "template"),
        ({"template": "x" * 1_001}, "INVALID", "template"),
        ({"template": "x" * 10_000}, "INVALID", "template"),
        ({"template": "Hi", "values": [{"name": "nope", "value": "x"}]}, "UNKNOWN_VARIABLE", "sampleValues"),
        ({"template": "Hi", "values": [{"name": "link", "value": "x" * 501}]}, "INVALID", "sampleValues"),
        (
            {"template": "{first_name}", "values": [{"name": "first_name", "value": " "}]},
            "EMPTY_MESSAGE",
            "template",
        ),
    ],
)
async def test_preview_inputs_at_their_limits_are_typed_errors(
    client: ApiClient, db: None, variables: dict[str, Any], code: str, field: str
) -> None:
    """Every refusal names its code and the input at fault."""
    # given
    owner = await make_owner()
    # when
    result = await call(client, owner, PREVIEW, {"purpose": "MARKETING", **variables})
    # then
    payload = result.ok()["previewMessage"]
    assert payload["preview"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]


async def test_messages_show_why_the_policy_moved_or_stopped_them(client: ApiClient, db: None) -> None:
    """outboundMessages answers SKIPPED, sendAfter and policyReason as queue_sms recorded them."""
    # given
    owner = await make_owner()
    customer = await make_customer(owner.tenant)
    late = datetime(2026, 12, 1, 19, 40, tzinfo=UTC)  # 23:10 in Tehran
    for key in ("a", "b"):
        await messaging.queue_sms(
            tenant=owner.tenant, customer=customer, origin_key=key, purpose="marketing", body="x", now=late
        )
    # when
    result = await call(
        client,
        owner,
        "query { outboundMessages { nodes { status sendAfter policyReason failureReason } } }",
    )
    # then
    nodes = sorted(result.ok()["outboundMessages"]["nodes"], key=lambda node: node["status"])
    assert [(n["status"], n["policyReason"]) for n in nodes] == [
        ("QUEUED", "quiet_hours"),
        ("SKIPPED", "daily_cap"),
    ]
    assert nodes[0]["sendAfter"] == "2026-12-02T04:30:00+00:00"  # 08:00 in Tehran
    assert nodes[1]["sendAfter"] is None and "frequency cap" in nodes[1]["failureReason"]


async def test_one_stores_suppressions_are_out_of_another_stores_reach(client: ApiClient, db: None) -> None:
    """Another store's list is neither listed nor changed by naming its id."""
    # given
    owner, other = await make_owner(), await make_owner()
    await call(client, other, ADD, {"phone": "09121234567"})
    # when
    listed = (await call(client, owner, LIST, {"lifted": True})).ok()["smsSuppressions"]["nodes"]
    foreign = await client.graphql(
        'mutation($t: ID!) { removeSmsSuppression(tenantId: $t, phone: "09121234567") { errors { code } } }',
        {"t": other.tenant_id},
        token=owner.token,
    )
    mine = (await call(client, owner, REMOVE, {"phone": "09121234567"})).ok()["removeSmsSuppression"]
    # then
    assert listed == []
    assert foreign.error_codes() == ["FORBIDDEN"]
    assert mine["errors"] == [{"code": "NOT_FOUND", "field": "phone"}]
    assert await SmsSuppression.filter(tenant_id=other.tenant.id, lifted_at=None).count() == 1


async def test_a_list_filtered_by_a_phone_that_is_not_one_is_a_typed_error(
    client: ApiClient, db: None
) -> None:
    """smsSuppressions(phone:) reads the phone as the store would; 10,000 digits are INVALID_PHONE."""
    # given
    owner = await make_owner()
    # when
    result = await call(client, owner, LIST, {"lifted": False, "phone": "9" * 10_000})
    # then
    assert result.error_codes() == ["INVALID_PHONE"]
