"""A bug inside a resolver is masked for the client, yet the answer still says what it is and which
request it was, so the client can report it and the operator can find it in the log."""

from __future__ import annotations

import pytest

from domain.tenancy import service as tenancy
from tests.support.api import ApiClient
from tests.support.factories import make_owner


async def test_an_unexpected_error_is_masked_with_its_code_and_request_id(
    client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message is only "Internal error."; extensions carry code INTERNAL and the X-Request-ID."""
    # given: a store, and a bug in the service the `tenant` query calls
    owner = await make_owner()

    async def broken(**_: object) -> None:
        raise RuntimeError("secret detail of a bug")

    monkeypatch.setattr(tenancy, "get_tenant", broken)
    # when
    response = await client.http.post(
        "/graphql",
        json={"query": "query { tenant { id } }"},
        headers={"Authorization": f"Bearer {owner.token}", "X-Request-ID": "req-masked-1"},
    )
    # then
    error = response.json()["errors"][0]
    assert error["message"] == "Internal error."
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-masked-1"}
    assert "secret detail" not in response.text
