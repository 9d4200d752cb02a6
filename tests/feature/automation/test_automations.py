"""Automations through GraphQL: created as drafts, edited with versions, activated and paused,
with invalid definitions answered as typed errors that name the field at fault."""

from __future__ import annotations

import copy

from domain.automation.models import Automation
from tests.support.api import ApiClient
from tests.support.automation import CASHBACK_AND_SMS
from tests.support.factories import make_owner

FIELDS = "id name status version trigger definition activatedAt"
CREATE = f"""
mutation Create($input: AutomationInput!) {{
  createAutomation(input: $input) {{ automation {{ {FIELDS} }} errors {{ code field message }} }}
}}
"""
UPDATE = f"""
mutation Update($id: ID!, $input: AutomationPatch!) {{
  updateAutomation(id: $id, input: $input) {{ automation {{ {FIELDS} }} errors {{ code field message }} }}
}}
"""
ACTIVATE = """
mutation Activate($id: ID!) { activateAutomation(id: $id) { automation { status } errors { code field } } }
"""
PAUSE = """
mutation Pause($id: ID!) { pauseAutomation(id: $id) { automation { status } errors { code field } } }
"""
LIST = """
query List($status: AutomationStatus) {
  automations(status: $status, first: 10) { nodes { name status version } pageInfo { hasNextPage } }
}
"""


async def test_owner_creates_an_automation_as_a_draft(client: ApiClient) -> None:
    """The definition comes back as stored JSON; the automation starts as a version 1 draft."""
    # given
    owner = await make_owner()
    # when
    result = await client.graphql(
        CREATE, {"input": {"name": "Cashback 10%", "definition": CASHBACK_AND_SMS}}, token=owner.token
    )
    # then
    payload = result.ok()["createAutomation"]
    assert payload["errors"] == []
    automation = payload["automation"]
    assert (automation["name"], automation["status"], automation["version"]) == ("Cashback 10%", "DRAFT", 1)
    assert automation["trigger"] == "order.completed"
    assert automation["definition"]["steps"][0] == {
        "id": "s1",
        "type": "grant_cashback",
        "percent": "10",
        "cap": 200_000,
        "available_after_days": 7,
    }
    assert automation["definition"]["schema_version"] == 2
    listed = (await client.graphql(LIST, token=owner.token)).ok()["automations"]
    assert listed["nodes"] == [{"name": "Cashback 10%", "status": "DRAFT", "version": 1}]


async def test_editing_the_definition_bumps_the_version(client: ApiClient) -> None:
    """A new definition is version 2; a rename alone keeps the version."""
    # given
    owner = await make_owner()
    created = (
        await client.graphql(
            CREATE, {"input": {"name": "A", "definition": CASHBACK_AND_SMS}}, token=owner.token
        )
    ).ok()["createAutomation"]["automation"]
    cheaper = copy.deepcopy(CASHBACK_AND_SMS)
    cheaper["steps"][0]["percent"] = "5"
    # when
    renamed = await client.graphql(UPDATE, {"id": created["id"], "input": {"name": "B"}}, token=owner.token)
    edited = await client.graphql(
        UPDATE, {"id": created["id"], "input": {"definition": cheaper}}, token=owner.token
    )
    # then
    assert renamed.ok()["updateAutomation"]["automation"]["version"] == 1
    automation = edited.ok()["updateAutomation"]["automation"]
    assert (automation["name"], automation["version"]) == ("B", 2)
    assert automation["definition"]["steps"][0]["percent"] == "5"


async def test_activating_and_pausing_follow_the_status_machine(client: ApiClient) -> None:
    """draft → active → paused → active works; pausing a paused automation is INVALID_STATE as data."""
    # given
    owner = await make_owner()
    created = (
        await client.graphql(
            CREATE, {"input": {"name": "A", "definition": CASHBACK_AND_SMS}}, token=owner.token
        )
    ).ok()["createAutomation"]["automation"]
    ids = {"id": created["id"]}
    # when
    activated = (await client.graphql(ACTIVATE, ids, token=owner.token)).ok()["activateAutomation"]
    paused = (await client.graphql(PAUSE, ids, token=owner.token)).ok()["pauseAutomation"]
    paused_again = (await client.graphql(PAUSE, ids, token=owner.token)).ok()["pauseAutomation"]
    reactivated = (await client.graphql(ACTIVATE, ids, token=owner.token)).ok()["activateAutomation"]
    # then
    assert [activated["automation"]["status"], paused["automation"]["status"]] == ["ACTIVE", "PAUSED"]
    assert paused_again == {"automation": None, "errors": [{"code": "INVALID_STATE", "field": "id"}]}
    assert reactivated["automation"]["status"] == "ACTIVE"
    active = (await client.graphql(LIST, {"status": "ACTIVE"}, token=owner.token)).ok()["automations"]
    assert [node["name"] for node in active["nodes"]] == ["A"]


async def test_an_invalid_definition_is_answered_with_errors_naming_each_field(client: ApiClient) -> None:
    """Pydantic's findings come back as data with paths from `definition`; nothing is created."""
    # given
    owner = await make_owner()
    broken = {
        "trigger": "order.completed",
        "steps": [
            {"type": "grant_cashback", "percent": "150"},
            {"type": "send_sms", "template": "Hi {first_name}, use {coupon}"},
        ],
    }
    # when
    result = await client.graphql(
        CREATE, {"input": {"name": "Broken", "definition": broken}}, token=owner.token
    )
    empty = await client.graphql(
        CREATE,
        {"input": {"name": "Empty", "definition": {"trigger": "order.completed", "steps": []}}},
        token=owner.token,
    )
    nameless = await client.graphql(
        CREATE, {"input": {"name": " ", "definition": CASHBACK_AND_SMS}}, token=owner.token
    )
    # then
    errors = result.ok()["createAutomation"]["errors"]
    assert [(error["code"], error["field"]) for error in errors] == [
        ("INVALID", "definition.steps.0.percent"),
        ("UNKNOWN_VARIABLE", "definition.steps.1.template"),
    ]
    assert "{coupon}" in errors[1]["message"]
    assert [(e["code"], e["field"]) for e in empty.ok()["createAutomation"]["errors"]] == [
        ("INVALID", "definition.steps")
    ]
    assert nameless.ok()["createAutomation"]["errors"] == [
        {"code": "INVALID", "field": "name", "message": "An automation needs a name."}
    ]
    assert await Automation.all().count() == 0
