"""Federation entity references a gateway could never have meant: typed INVALID errors, not internal ones.

Found by the fuzz tests (tests/fuzz): strawberry looks ``__typename`` up unchecked, so an unknown type or
a representation without ``id`` used to answer "Internal error.".
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ApiClient
from tests.support.factories import make_owner

ENTITIES = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Tenant { id name } }
}
"""


@pytest.mark.parametrize(
    ("representation", "field"),
    [
        ({"__typename": "Nope", "id": "x"}, "representations.1"),
        ({"id": "x"}, "representations.1"),
        ({"__typename": "Tenant"}, "representations.1"),
        ({"__typename": "Tenant", "id": {"nested": True}}, "representations.1"),
        ({"__typename": "Tenant", "id": "a\x00b"}, "representations.1.id"),
        ("Tenant", "representations.1"),
    ],
)
async def test_a_malformed_representation_is_invalid_naming_it(
    client: ApiClient, representation: Any, field: str
) -> None:
    """Unknown type, no usable id or no object at all: INVALID with the representation's path."""
    # given
    owner = await make_owner()
    reps = [{"__typename": "Tenant", "id": owner.tenant_id}, representation]
    # when
    result = await client.graphql(ENTITIES, {"reps": reps}, token=owner.token)
    # then
    assert result.data is None
    assert result.error_codes() == ["INVALID"]
    assert result.errors is not None
    assert result.errors[0]["extensions"]["field"] == field
    assert "Internal error." not in result.errors[0]["message"]


async def test_keys_beyond_the_id_are_ignored(client: ApiClient) -> None:
    """A representation with more than ``id`` resolves by its id alone (entities are keyed by id)."""
    # given
    owner = await make_owner(store="Mine")
    reps = [{"__typename": "Tenant", "id": owner.tenant_id, "name": "spoofed", "extra": [1, 2]}]
    # when
    result = await client.graphql(ENTITIES, {"reps": reps}, token=owner.token)
    # then
    assert result.ok()["_entities"] == [{"id": owner.tenant_id, "name": "Mine"}]
