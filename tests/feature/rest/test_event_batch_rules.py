"""POST /rest/v1/events leaves the batch's size rules to store_events and answers them as before."""

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
