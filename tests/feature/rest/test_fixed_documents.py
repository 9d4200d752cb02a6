"""The REST routes' fixed GraphQL documents are parsed and validated once (the schema's document cache),
with every rule still applied."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema
from graphql import DocumentNode

from graph.core.context import Context
from graph.rest.checkout import QUOTE
from graph.schema import build_schema
from permissions.principal import Principal
from tests.support.api import ApiClient
from tests.support.automation import give_credit, make_customer
from tests.support.factories import make_owner, make_store_key


class Calls:
    """Counts strawberry's parse and validation steps, by document text."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed: list[str] = []
        self.validated: list[str] = []
        parse, validate = strawberry_schema.parse, strawberry_schema.validate_document

        def counting_parse(source: str, **options: Any) -> DocumentNode:
            self.parsed.append(source)
            return parse(source, **options)

        def counting_validate(schema: Any, document: DocumentNode, rules: Any) -> Any:
            self.validated.append(document.loc.source.body if document.loc else "")
            return validate(schema, document, rules)

        monkeypatch.setattr(strawberry_schema, "parse", counting_parse)
        monkeypatch.setattr(strawberry_schema, "validate_document", counting_validate)


async def test_a_checkout_document_is_parsed_and_validated_once(
    client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three quotes: the answers are all right, and QUOTE went through parse and validation once."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}"}
    customer = await make_customer(owner.tenant)
    await give_credit(customer, 70_000)
    calls = Calls(monkeypatch)
    body = {"customer": {"phone": customer.phone}, "cart_total": "50000", "currency": "IRT"}
    # when
    answers = [await client.http.post("/rest/v1/credit/quote", json=body, headers=headers) for _ in range(3)]
    # then
    assert [answer.json()["max_usable"] for answer in answers] == ["50000"] * 3
    assert calls.parsed == [QUOTE]
    assert calls.validated == [QUOTE]


@pytest.mark.parametrize("runs", [1, 2])
async def test_a_fixed_document_that_breaks_a_rule_is_refused_every_time(db: None, runs: int) -> None:
    """With a depth limit QUOTE exceeds, every run is refused by validation: a refusal is never kept."""
    # given
    schema = build_schema(max_depth=1)
    context: Callable[[], Context] = lambda: Context(  # noqa: E731
        principal=Principal(kind="anonymous"), tenant_id=None, queue=None, request_id="r", settings=None
    )
    variables = {"customer": {"phone": "09120000000"}, "cartTotal": "1", "currency": "IRT"}
    # when
    results = [
        await schema.execute(QUOTE, variable_values=variables, context_value=context()) for _ in range(runs)
    ]
    # then
    for result in results:
        assert result.data is None
        assert result.errors and "exceeds maximum operation depth" in result.errors[0].message
