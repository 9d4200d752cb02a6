"""Journeys through GraphQL: schema-2 definitions with typed errors naming each bad field, versions,
runs with their step events, migrating runs to the newest version, permissions and store isolation."""

from __future__ import annotations

from typing import Any

from domain.automation.models import Automation, AutomationRun
from domain.coupons.models import CouponTemplate
from domain.segments import service as segments
from domain.tenancy import service as tenancy
from tests.support.api import ApiClient
from tests.support.automation import NOW, make_customer
from tests.support.coupons import make_template
from tests.support.factories import make_owner
from tests.support.journeys import advance_all, enrol_customers, winback

CREATE = """
mutation($input: AutomationInput!) {
  createAutomation(input: $input) {
    automation { id trigger version enrolledCount versions { version } }
    errors { code field message }
  }
}
"""
UPDATE = """
mutation($id: ID!, $input: AutomationPatch!) {
  updateAutomation(id: $id, input: $input) {
    automation { version versions { version definition } } errors { code field message }
  }
}
"""
ACTIVATE = "mutation($id: ID!) { activateAutomation(id: $id) { automation { status } errors { code } } }"
MIGRATE = """
mutation($id: ID!, $tenantId: ID) {
  migrateJourneyRuns(id: $id, tenantId: $tenantId) { version moved exited errors { code field } }
}
"""
RUNS = """
query($automationId: ID) {
  automationRuns(automationId: $automationId, first: 10) {
    nodes {
      state currentStepId exitReason facts dueAt
      stepEvents { stepId stepType outcome creditAmount note }
    }
  }
}
"""
RUN = "query($id: ID!) { automationRun(id: $id) { state } }"

WELCOME = {
    "trigger": {"type": "event", "event": "customer.created"},
    "steps": [
        {"id": "gift", "type": "grant_credit", "amount": 20_000, "expires_after_days": 30},
        {"id": "nap", "type": "wait", "until_time": "10:00"},
        {"id": "hello", "type": "send_sms", "template": "{first_name}، {credit} هدیهٔ {store}"},
    ],
}


def errors_of(result: Any, mutation: str = "createAutomation") -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in result.ok()[mutation]["errors"]]


async def test_an_owner_creates_a_schema_2_journey_and_edits_it_into_a_new_version(client: ApiClient) -> None:
    """The journey comes back with its trigger key and version 1; an edit makes version 2 with both
    versions listed newest first; the same definition again changes nothing."""
    # given
    owner = await make_owner()
    template = await make_template(owner.tenant)
    # when
    created = (
        await client.graphql(
            CREATE, {"input": {"name": "Win-back", "definition": winback(template.id)}}, token=owner.token
        )
    ).ok()
    journey = created["createAutomation"]["automation"]
    edited_definition = winback(template.id, attribution_days=14)
    edited = (
        await client.graphql(
            UPDATE, {"id": journey["id"], "input": {"definition": edited_definition}}, token=owner.token
        )
    ).ok()
    again = (
        await client.graphql(
            UPDATE, {"id": journey["id"], "input": {"definition": edited_definition}}, token=owner.token
        )
    ).ok()
    # then
    assert created["createAutomation"]["errors"] == []
    assert (journey["trigger"], journey["version"], journey["enrolledCount"], journey["versions"]) == (
        "days_since_last_order",
        1,
        0,
        [{"version": 1}],
    )
    versions = edited["updateAutomation"]["automation"]["versions"]
    assert [(v["version"], v["definition"]["attribution_days"]) for v in versions] == [(2, 14), (1, 7)]
    assert again["updateAutomation"]["automation"]["version"] == 2


async def test_every_problem_of_a_definition_is_an_error_naming_its_path(client: ApiClient) -> None:
    """Bad values at their limits come back together, each with its path in the definition; nothing
    is created."""
    # given
    owner = await make_owner()
    broken = {
        "trigger": {"type": "nth_order", "n": 0},
        "steps": [
            {"type": "wait", "duration": {"days": 0}},
            {"type": "send_sms", "template": "x" * 10_000},
            {"type": "send_sms", "template": "{nickname}"},
            {"type": "grant_credit", "amount": -5},
            {"type": "add_tag", "tag": "t" * 65},
        ],
        "attribution_days": 0,
    }
    # when
    result = await client.graphql(
        CREATE, {"input": {"name": "Broken", "definition": broken}}, token=owner.token
    )
    not_an_object = await client.graphql(
        CREATE, {"input": {"name": "X", "definition": "steps"}}, token=owner.token
    )
    nul = {**WELCOME, "steps": [{"type": "add_tag", "tag": "bad\x00tag"}]}
    with_nul = await client.graphql(CREATE, {"input": {"name": "N", "definition": nul}}, token=owner.token)
    # then
    assert errors_of(result) == [
        ("INVALID", "definition.trigger.n"),
        ("INVALID", "definition.attribution_days"),
        ("INVALID", "definition.steps.0.duration"),
        ("INVALID", "definition.steps.1.template"),
        ("UNKNOWN_VARIABLE", "definition.steps.2.template"),
        ("INVALID", "definition.steps.3.amount"),
        ("INVALID", "definition.steps.4.tag"),
    ]
    assert errors_of(not_an_object) == [("INVALID", "definition")]
    assert [code for code, _ in errors_of(with_nul)] == ["INVALID"]
    assert await Automation.all().count() == 0


async def test_references_must_be_the_stores_own_and_usable(client: ApiClient) -> None:
    """Another store's segment is NOT_FOUND; an unknown coupon template is NOT_FOUND at its step; an
    archived one is TEMPLATE_ARCHIVED there."""
    # given
    owner, other = await make_owner(), await make_owner()
    theirs = await segments.create(tenant_id=other.tenant.id, name="Theirs", definition=None, now=NOW)
    archived = await make_template(owner.tenant)
    await CouponTemplate.filter(id=archived.id).update(archived_at=NOW)
    their_template = await make_template(other.tenant)
    segment_journey = {
        "trigger": {"type": "segment", "event": "entered", "segment_id": str(theirs.id)},
        "steps": [{"type": "add_tag", "tag": "x"}],
    }
    # when
    segment = await client.graphql(
        CREATE, {"input": {"name": "S", "definition": segment_journey}}, token=owner.token
    )
    unknown = await client.graphql(
        CREATE, {"input": {"name": "U", "definition": winback(their_template.id)}}, token=owner.token
    )
    old = await client.graphql(
        CREATE, {"input": {"name": "A", "definition": winback(archived.id)}}, token=owner.token
    )
    # then
    assert errors_of(segment) == [("NOT_FOUND", "definition")]
    assert errors_of(unknown) == [("NOT_FOUND", "definition.steps.1.template_id")]
    assert errors_of(old) == [("TEMPLATE_ARCHIVED", "definition.steps.1.template_id")]


async def test_runs_show_their_position_facts_and_step_events(client: ApiClient) -> None:
    """A run that granted credit and waits until 10:00 shows where it is, why, and what it did."""
    # given
    owner = await make_owner()
    created = (
        await client.graphql(CREATE, {"input": {"name": "Welcome", "definition": WELCOME}}, token=owner.token)
    ).ok()
    journey_id = created["createAutomation"]["automation"]["id"]
    await client.graphql(ACTIVATE, {"id": journey_id}, token=owner.token)
    journey = await Automation.get(id=journey_id)
    await enrol_customers(journey, [await make_customer(owner.tenant)], source="test")
    await advance_all(owner.tenant, now=NOW)  # 12:30 in Tehran: the wait runs to tomorrow 10:00
    # when
    result = (await client.graphql(RUNS, {"automationId": journey_id}, token=owner.token)).ok()
    # then
    [run] = result["automationRuns"]["nodes"]
    assert (run["state"], run["currentStepId"], run["exitReason"], run["facts"]) == (
        "WAITING",
        "hello",
        None,
        {"source": "test"},
    )
    assert run["dueAt"].startswith("2026-11-23T06:30:00")
    assert [(e["stepId"], e["stepType"], e["outcome"], e["creditAmount"]) for e in run["stepEvents"]] == [
        ("gift", "grant_credit", "DONE", 20_000),
        ("nap", "wait", "WAITING", 0),
    ]


async def test_migrating_runs_moves_them_once_and_is_the_stores_own(client: ApiClient) -> None:
    """migrateJourneyRuns moves the open runs to the newest version (once); another store naming the
    journey gets NOT_FOUND; an analyst (read only) may not migrate."""
    # given
    owner, other = await make_owner(), await make_owner()
    analyst = await make_owner()
    await tenancy.grant_role(user_id=analyst.user.id, tenant_id=owner.tenant.id, role="analyst")
    created = (
        await client.graphql(CREATE, {"input": {"name": "Welcome", "definition": WELCOME}}, token=owner.token)
    ).ok()
    journey_id = created["createAutomation"]["automation"]["id"]
    await client.graphql(ACTIVATE, {"id": journey_id}, token=owner.token)
    journey = await Automation.get(id=journey_id)
    await enrol_customers(journey, [await make_customer(owner.tenant) for _ in range(3)])
    await advance_all(owner.tenant, now=NOW)
    kinder = {
        **WELCOME,
        "steps": [
            *WELCOME["steps"][:2],
            {"id": "hello", "type": "send_sms", "template": "سلام {first_name}"},
        ],
    }
    await client.graphql(UPDATE, {"id": journey_id, "input": {"definition": kinder}}, token=owner.token)
    # when
    foreign = await client.graphql(MIGRATE, {"id": journey_id}, token=other.token)
    read_only = await client.graphql(
        MIGRATE, {"id": journey_id, "tenantId": str(owner.tenant.id)}, token=analyst.token
    )
    first = (await client.graphql(MIGRATE, {"id": journey_id}, token=owner.token)).ok()["migrateJourneyRuns"]
    second = (await client.graphql(MIGRATE, {"id": journey_id}, token=owner.token)).ok()["migrateJourneyRuns"]
    # then
    assert errors_of(foreign, "migrateJourneyRuns") == [("NOT_FOUND", "id")]
    assert read_only.error_codes() == ["FORBIDDEN"]
    assert (first["version"], first["moved"], first["exited"], first["errors"]) == (2, 3, 0, [])
    assert (second["moved"], second["exited"]) == (0, 0)
    assert set(
        await AutomationRun.filter(automation_id=journey.id).values_list("automation_version", flat=True)
    ) == {2}


async def test_another_stores_run_is_not_found(client: ApiClient) -> None:
    """automationRun with another store's run id answers NOT_FOUND."""
    # given
    owner, other = await make_owner(), await make_owner()
    created = (
        await client.graphql(CREATE, {"input": {"name": "Welcome", "definition": WELCOME}}, token=owner.token)
    ).ok()
    journey_id = created["createAutomation"]["automation"]["id"]
    await client.graphql(ACTIVATE, {"id": journey_id}, token=owner.token)
    [run] = await enrol_customers(await Automation.get(id=journey_id), [await make_customer(owner.tenant)])
    # when
    mine = await client.graphql(RUN, {"id": str(run.id)}, token=owner.token)
    theirs = await client.graphql(RUN, {"id": str(run.id)}, token=other.token)
    # then
    assert mine.ok()["automationRun"]["state"] == "PENDING"
    assert theirs.error_codes() == ["NOT_FOUND"]
