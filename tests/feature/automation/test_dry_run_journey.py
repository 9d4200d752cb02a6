"""dryRunJourney through GraphQL: a saved journey or an unsaved definition replayed over the store's last
N days, answered with counts, steps, samples and cost — writing nothing, the same twice and at once, and
typed errors for inputs at their limits and for another store's journey."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import Tortoise

from tests.support.api import ApiClient
from tests.support.factories import make_owner
from tests.support.journey_history import make_journey, make_person, make_purchase

DRY_RUN = """
mutation DryRun($days: Int!, $journeyId: ID, $definition: JSON) {
  dryRunJourney(days: $days, journeyId: $journeyId, definition: $definition) {
    dryRun {
      days triggered entered completed exitedByGoal failed waiting messages parts cost credit coupons
      leftOut { conditions repeat alreadyInJourney entryRule cap }
      steps { stepId type reached done skipped waiting messages parts cost }
      samples { stepId body encoding parts cost }
      notes
    }
    errors { code field message }
  }
}
"""
WINBACK: dict[str, Any] = {
    "trigger": {"type": "days_since_last_order", "min_days": 30, "max_days": 90},
    "steps": [
        {
            "id": "hello",
            "type": "send_sms",
            "template": "{first_name}، دلمان تنگ شده.",
            "purpose": "marketing",
        },
        {"id": "gift", "type": "grant_credit", "amount": 30_000, "expires_after_days": 7},
    ],
}


async def row_counts() -> dict[str, int]:
    connection = Tortoise.get_connection("default")
    counts = {}
    for model in Tortoise.apps["revisit"].values():
        [row] = await connection.execute_query_dict(f"SELECT count(*) AS n FROM {model._meta.db_table}")
        counts[model._meta.db_table] = int(row["n"])
    return counts


async def store_with_lapses(owner: Any, count: int = 3) -> None:
    """``count`` customers whose only purchase was 40 days ago."""
    for index in range(count):
        at = datetime.now(UTC) - timedelta(days=40, hours=index)
        customer = await make_person(
            owner.tenant, first_name=f"مشتری{index}", last_order_at=at, first_order_at=at
        )
        await make_purchase(owner.tenant, customer, at=at)


async def test_a_saved_journey_is_replayed_and_nothing_is_written(client: ApiClient) -> None:
    """Three lapsed customers would have entered, had a text each (with the footer) and 30,000 credit;
    every table has the rows it had before."""
    # given
    owner = await make_owner()
    await store_with_lapses(owner)
    journey = await make_journey(owner.tenant, WINBACK, active=False)
    before = await row_counts()
    # when
    result = await client.graphql(DRY_RUN, {"days": 30, "journeyId": str(journey.id)}, token=owner.token)
    # then
    payload = result.ok()["dryRunJourney"]
    assert payload["errors"] == []
    dry = payload["dryRun"]
    assert (dry["days"], dry["triggered"], dry["entered"], dry["completed"]) == (30, 3, 3, 3)
    assert (dry["messages"], dry["credit"], dry["coupons"]) == (3, 90_000, 0)
    assert dry["cost"] == dry["parts"] * 1_500
    assert [step["stepId"] for step in dry["steps"]] == ["hello", "gift"]
    assert len(dry["samples"]) == 3
    assert all(
        sample["body"].endswith("لغو۱۱") and sample["encoding"] == "UCS-2" for sample in dry["samples"]
    )
    assert await row_counts() == before


async def test_an_unsaved_definition_twice_and_at_once_answers_the_same(client: ApiClient) -> None:
    """A definition not saved yet; the same request again and two at once give the same counts."""
    # given
    owner = await make_owner()
    await store_with_lapses(owner, 2)
    variables = {"days": 14, "definition": WINBACK}
    # when
    first = await client.graphql(DRY_RUN, variables, token=owner.token)
    together = await asyncio.gather(
        *(client.graphql(DRY_RUN, variables, token=owner.token) for _ in range(2))
    )
    # then
    answers = [result.ok()["dryRunJourney"]["dryRun"] for result in (first, *together)]
    counts = [(a["triggered"], a["entered"], a["messages"], a["credit"]) for a in answers]
    assert counts == [(2, 2, 2, 60_000)] * 3


async def test_inputs_at_their_limits_are_typed_errors(client: ApiClient) -> None:
    """days 0, 91 and -5 are INVALID on days; both or neither of journeyId and definition is INVALID;
    a broken definition is INVALID naming the field (every problem of an empty one listed); a
    10,000-character id is NOT_FOUND, a NUL in it INVALID."""
    # given
    owner = await make_owner()
    journey = await make_journey(owner.tenant, WINBACK, active=False)
    broken = {**WINBACK, "trigger": {"type": "days_since_last_order", "min_days": 0, "max_days": 90}}
    cases = [
        ({"days": 0, "definition": WINBACK}, ("INVALID", "days")),
        ({"days": 91, "definition": WINBACK}, ("INVALID", "days")),
        ({"days": -5, "definition": WINBACK}, ("INVALID", "days")),
        ({"days": 30}, ("INVALID", "definition")),
        ({"days": 30, "definition": WINBACK, "journeyId": str(journey.id)}, ("INVALID", "definition")),
        ({"days": 30, "definition": broken}, ("INVALID", "definition.trigger.min_days")),
        ({"days": 30, "definition": "x" * 10_000}, ("INVALID", "definition")),
        ({"days": 30, "journeyId": "x" * 10_000}, ("NOT_FOUND", "journeyId")),
        ({"days": 30, "journeyId": "a\x00b"}, ("INVALID", "journeyId")),
    ]
    empty = (await client.graphql(DRY_RUN, {"days": 30, "definition": {}}, token=owner.token)).ok()
    fields = {error["field"] for error in empty["dryRunJourney"]["errors"]}
    assert {"definition.trigger", "definition.steps"} <= fields
    for variables, (code, field) in cases:
        # when
        result = await client.graphql(DRY_RUN, variables, token=owner.token)
        # then
        payload = result.ok()["dryRunJourney"]
        assert payload["dryRun"] is None, variables
        error = payload["errors"][0]
        assert error["code"] == code, (variables, error)
        if field is not None:
            assert error["field"] == field, (variables, error)


async def test_another_stores_journey_is_not_found(client: ApiClient) -> None:
    """Store B dry-running A's journey by id gets NOT_FOUND and learns nothing of A's customers."""
    # given
    owner_a, owner_b = await make_owner(), await make_owner()
    await store_with_lapses(owner_a)
    journey = await make_journey(owner_a.tenant, WINBACK)
    # when
    result = await client.graphql(DRY_RUN, {"days": 30, "journeyId": str(journey.id)}, token=owner_b.token)
    own = await client.graphql(DRY_RUN, {"days": 30, "definition": WINBACK}, token=owner_b.token)
    # then
    assert result.ok()["dryRunJourney"]["errors"][0]["code"] == "NOT_FOUND"
    assert own.ok()["dryRunJourney"]["dryRun"]["triggered"] == 0
