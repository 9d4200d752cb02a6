"""A campaign from the owner's first click to its lift: written and launched through GraphQL, sent by a
real worker process to a local Kavenegar-protocol server, delivered by the operator's reports, an order
using a campaign code and one without, and the results the owner reads — attributed revenue and the
lift over the control group."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from arq.connections import ArqRedis

from domain.billing import wallet
from domain.campaigns.models import Campaign, CampaignRecipient
from domain.coupons.models import Coupon
from domain.customers.models import Customer
from domain.messaging import policy, reports
from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.models import OutboundMessage
from revisit.services import ServiceUrls
from tests.support.api import ApiClient
from tests.support.automation import make_customer
from tests.support.coupons import make_template
from tests.support.factories import TEST_SECRET, make_owner
from tests.support.kavenegar_server import running_kavenegar
from tests.support.shop import deliver, order_event
from tests.support.worker_process import WorkerProcess, eventually

API_KEY = "campaign-flow-kavenegar-key"
LINE = "10008663"
CUSTOMERS = 40
DELIVERED = 10
"""Kavenegar's status for a message the handset received."""

CREATE = """
mutation Create($input: CampaignInput!) {
  createCampaign(input: $input) { campaign { id } errors { code field message } }
}
"""
LAUNCH = """
mutation Launch($id: ID!) { launchCampaign(id: $id) { campaign { status } errors { code message } } }
"""
RESULTS = """
query Results($id: ID!) {
  campaign(id: $id) {
    status
    progress { recipients control queued sent delivered costReserved costCharged }
    results {
      sent delivered couponsRedeemed attributedOrders attributedRevenue conversionLift revenuePerCustomerLift
      treated { customers converted revenue } control { customers converted revenue }
    }
  }
}
"""


async def test_a_campaign_is_sent_delivered_and_measured_against_its_control_group(
    client: ApiClient, db: None, redis: ArqRedis, service_urls: ServiceUrls, tmp_path: Path
) -> None:
    """Launch → the worker hands every treated message to Kavenegar (sendarray) → the operator reports
    them delivered → a treated customer orders with their code and a control customer orders without
    → the campaign shows the messages sent and delivered, the wallet charged for them, one order
    attributed by its coupon and the lift of treated over control."""
    # given: a store with funds, no quiet hours in the way, 40 customers and a coupon template
    owner = await make_owner()
    await policy.update_settings(
        tenant_id=owner.tenant.id, quiet_hours_start="00:00", quiet_hours_end="00:00"
    )
    await wallet.top_up(owner.tenant.id, amount=10_000_000, key="campaign-flow", reference="test:e2e")
    for _ in range(CUSTOMERS):
        await make_customer(owner.tenant)
    template = await make_template(owner.tenant, value=20)
    draft = {
        "name": "Yalda",
        "template": "{first_name}، {coupon_value} تخفیف یلدا با کد {coupon_code}",
        "incentive": "COUPON",
        "couponTemplateId": str(template.id),
        "controlPercent": 25,
    }
    created = await _call(client, owner, CREATE, {"input": draft})
    campaign_id = created["campaign"]["id"]
    async with running_kavenegar(api_key=API_KEY) as kavenegar:
        environment = {
            "REVISIT_LOG_LEVEL": "INFO",
            "REVISIT_SMS_PROVIDER": "kavenegar",
            "REVISIT_KAVENEGAR_API_KEY": API_KEY,
            "REVISIT_KAVENEGAR_BASE_URL": kavenegar.base_url,
            "REVISIT_KAVENEGAR_SENDER": LINE,
            "REVISIT_WORKER_METRICS_PORT": "0",
        }
        with WorkerProcess(service_urls, secret_key=TEST_SECRET, log_dir=tmp_path) as worker:
            worker.spawn([], environment)
            # when: the owner launches; the API wakes the worker's dispatch
            launched = await _call(client, owner, LAUNCH, {"id": campaign_id})
            await eventually(
                lambda: _completed(UUID(campaign_id)), within=120, what="the campaign completing"
            )
        # and the operator reports every message delivered, read through the production adapter
        for entry in list(kavenegar.entries):
            kavenegar.set_status(entry["messageid"], DELIVERED)
        async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url) as provider:
            recorded = await reports.poll(
                provider=provider, account_id=None, tenant_id=None, now=datetime.now(UTC)
            )
        taken = len(kavenegar.entries)
    treated = await CampaignRecipient.filter(campaign_id=campaign_id, status="treated").order_by("id")
    control = await CampaignRecipient.filter(campaign_id=campaign_id, status="control").order_by("id")
    buyer = await Customer.get(id=treated[0].customer_id)
    code = (await Coupon.get(origin_key=f"campaign:{campaign_id}:{buyer.id}")).code
    other = await Customer.get(id=control[0].customer_id)
    ordered_at = datetime.now(UTC)
    await deliver(
        owner.tenant.id,
        [
            order_event(
                customer=str(buyer.external_id), placed_at=ordered_at, total=2_000_000, coupons=(code,)
            ),
            order_event(customer=str(other.external_id), placed_at=ordered_at, total=500_000),
        ],
        now=ordered_at,
    )
    shown = await _call(client, owner, RESULTS, {"id": campaign_id})
    # then: every treated customer got one message, each delivered, charged as reserved
    assert launched["campaign"]["status"] == "SENDING"
    assert len(treated) + len(control) == CUSTOMERS and control
    assert taken == len(treated) == recorded
    receptors = {entry["receptor"] for entry in kavenegar.entries}
    assert receptors == {recipient.phone for recipient in treated}
    assert {m.status for m in await OutboundMessage.filter(campaign_id=campaign_id)} == {"sent"}
    progress = shown["progress"]
    assert shown["status"] == "COMPLETED"
    assert (progress["recipients"], progress["sent"], progress["delivered"]) == (len(treated),) * 3
    assert progress["costCharged"] == progress["costReserved"] > 0
    assert (await wallet.balance(owner.tenant.id)).reserved == 0
    # and the results: the coupon order attributed, the control order in the control group's figures
    results = shown["results"]
    assert (results["couponsRedeemed"], results["attributedOrders"]) == (1, 1)
    assert results["attributedRevenue"] == 2_000_000
    assert results["treated"] == {"customers": len(treated), "converted": 1, "revenue": 2_000_000}
    assert results["control"] == {"customers": len(control), "converted": 1, "revenue": 500_000}
    assert results["conversionLift"] == 1 / len(treated) - 1 / len(control)
    assert results["revenuePerCustomerLift"] == 2_000_000 // len(treated) - 500_000 // len(control)


async def _call(client: ApiClient, owner: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    result = await client.graphql(query, variables, token=owner.token, tenant=owner.tenant_id)
    answer = next(iter(result.ok().values()))
    assert not answer.get("errors"), answer
    return answer


async def _completed(campaign_id: UUID) -> bool:
    return (await Campaign.get(id=campaign_id)).status == "completed"
