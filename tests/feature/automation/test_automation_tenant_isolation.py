"""One store never sees or changes another's automations, runs or messages through GraphQL:
naming the other store is FORBIDDEN, and the other store's ids are NOT_FOUND."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from domain.automation import engine
from domain.automation.models import Automation
from domain.events.domain_events import OrderCompleted
from tests.support.api import ApiClient
from tests.support.automation import NOW, make_automation, make_customer, make_order
from tests.support.factories import Owner, make_owner

AUTOMATION = "query One($id: ID!) { automation(id: $id) { id name } }"
AUTOMATIONS = """
query List($tenantId: ID) { automations(tenantId: $tenantId) { nodes { id } } }
"""
RUNS = """
query Runs($tenantId: ID, $automationId: ID) {
  automationRuns(tenantId: $tenantId, automationId: $automationId) {
    nodes { id state currentStep automationVersion notes }
  }
}
"""
MESSAGES = """
query Messages($tenantId: ID, $status: MessageStatus) {
  outboundMessages(tenantId: $tenantId, status: $status) { nodes { id status body parts encoding } }
}
"""
RENAME = """
mutation Rename($id: ID!, $tenantId: ID) {
  updateAutomation(id: $id, tenantId: $tenantId, input: {name: "Mine now"}) {
    automation { id } errors { code field }
  }
}
"""
ACTIVATE = """
mutation Activate($id: ID!) { activateAutomation(id: $id) { automation { id } errors { code field } } }
"""


async def store_with_a_completed_run(owner: Owner) -> Automation:
    """An active automation that enrolled and advanced one customer, queueing one SMS."""
    automation = await make_automation(owner.tenant)
    customer = await make_customer(owner.tenant)
    order = await make_order(owner.tenant, customer)
    async with in_transaction():
        [run] = await engine.handle(
            [
                OrderCompleted(
                    tenant_id=owner.tenant.id, order_id=order.id, customer_id=customer.id, occurred_at=NOW
                )
            ],
            now=NOW,
        )
    await engine.advance(run_id=run.id, now=NOW)
    return automation


async def test_owners_see_their_own_runs_and_messages(client: ApiClient) -> None:
    """The owner lists the run and the SMS their automation produced."""
    # given
    owner = await make_owner()
    automation = await store_with_a_completed_run(owner)
    # when
    runs = await client.graphql(RUNS, {"automationId": str(automation.id)}, token=owner.token)
    messages = await client.graphql(MESSAGES, {"status": "QUEUED"}, token=owner.token)
    # then
    [run] = runs.ok()["automationRuns"]["nodes"]
    assert (run["state"], run["currentStep"], run["automationVersion"], run["notes"]) == (
        "COMPLETED",
        2,
        1,
        [],
    )
    [message] = messages.ok()["outboundMessages"]["nodes"]
    assert (message["status"], message["encoding"]) == ("QUEUED", "UCS-2")


async def test_another_store_cannot_read_automations_runs_or_messages(client: ApiClient) -> None:
    """Owner B naming store A is FORBIDDEN; A's automation id is NOT_FOUND in B's store; B sees nothing."""
    # given
    owner_a, owner_b = await make_owner(), await make_owner()
    automation = await store_with_a_completed_run(owner_a)
    store_a = {"tenantId": owner_a.tenant_id}
    # when
    named = [
        await client.graphql(AUTOMATIONS, store_a, token=owner_b.token),
        await client.graphql(RUNS, store_a, token=owner_b.token),
        await client.graphql(MESSAGES, store_a, token=owner_b.token),
    ]
    by_id = await client.graphql(AUTOMATION, {"id": str(automation.id)}, token=owner_b.token)
    own_runs = await client.graphql(RUNS, {"automationId": str(automation.id)}, token=owner_b.token)
    own_messages = await client.graphql(MESSAGES, token=owner_b.token)
    # then
    for result in named:
        assert result.error_codes() == ["FORBIDDEN"]
        assert result.data is None or all(value is None for value in result.data.values())
    assert by_id.error_codes() == ["NOT_FOUND"] and by_id.data == {"automation": None}
    assert own_runs.ok()["automationRuns"]["nodes"] == []
    assert own_messages.ok()["outboundMessages"]["nodes"] == []


async def test_another_store_cannot_change_an_automation(client: ApiClient) -> None:
    """Renaming or activating store A's automation from store B changes nothing."""
    # given
    owner_a, owner_b = await make_owner(), await make_owner()
    automation = await make_automation(owner_a.tenant, active=False, name="A's")
    # when
    forbidden = await client.graphql(
        RENAME, {"id": str(automation.id), "tenantId": owner_a.tenant_id}, token=owner_b.token
    )
    not_found = await client.graphql(RENAME, {"id": str(automation.id)}, token=owner_b.token)
    not_activated = await client.graphql(ACTIVATE, {"id": str(automation.id)}, token=owner_b.token)
    # then
    assert forbidden.error_codes() == ["FORBIDDEN"]
    assert not_found.ok()["updateAutomation"]["errors"] == [{"code": "NOT_FOUND", "field": "id"}]
    assert not_activated.ok()["activateAutomation"]["errors"] == [{"code": "NOT_FOUND", "field": "id"}]
    unchanged = await Automation.get(id=automation.id)
    assert (unchanged.name, unchanged.status) == ("A's", "draft")
