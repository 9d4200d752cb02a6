"""POST /rest/v1/events leaves the batch rules to store_events; every REST route documents its 503."""

from __future__ import annotations

from domain.events.models import IngestedEvent
from tests.support.api import ApiClient
from tests.support.factories import make_owner, make_store_key


async def test_an_empty_batch_is_422_invalid_naming_events(client: ApiClient) -> None:
    """``{"events": []}`` is refused by the domain's rule (INVALID on field events), as a 422 problem."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    # when
    answer = await client.http.post("/rest/v1/events", json={"events": []}, headers=headers)
    # then
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "INVALID"
    assert answer.json()["error"]["field"] == "events"
    assert await IngestedEvent.all().count() == 0


async def test_a_lone_event_not_in_a_list_is_422(client: ApiClient) -> None:
    """GraphQL would read a lone object as a list of one; REST still asks for ``{"events": [...]}``."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    # when
    answer = await client.http.post("/rest/v1/events", json={"events": {"id": "e-1"}}, headers=headers)
    # then
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "INVALID"


async def test_every_rest_operation_documents_the_overload_answer(client: ApiClient) -> None:
    """The OpenAPI description names 503 (OVERLOADED, with Retry-After) on every operation."""
    # when
    spec = (await client.http.get("/rest/v1/openapi.json")).json()
    # then
    operations = [operation for item in spec["paths"].values() for operation in item.values()]
    assert operations
    for operation in operations:
        assert "Retry-After" in operation["responses"]["503"]["headers"]
