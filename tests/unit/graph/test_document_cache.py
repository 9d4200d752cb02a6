"""The schema's DocumentCache: a document sent again is not parsed or validated again, and what it
remembers is keyed so that each caller's rules still decide."""

from __future__ import annotations

from uuid import uuid4

from graph.core.context import Context
from graph.schema import build_schema
from permissions.principal import ANONYMOUS, Principal

TYPENAME = "query { __typename }"
SCHEMA_NAME = "query { __schema { queryType { name } } }"


def _context(principal: Principal) -> Context:
    return Context(principal=principal, tenant_id=None, queue=None, request_id="r-1", settings=None)


async def test_a_repeated_document_is_parsed_and_validated_once() -> None:
    """Three executions of one text: one parsed document and one validation remembered, same answer."""
    # given
    schema = build_schema()
    # when
    results = [await schema.execute(TYPENAME, context_value=_context(ANONYMOUS)) for _ in range(3)]
    # then
    assert [result.data for result in results] == [{"__typename": "Query"}] * 3
    assert len(schema.documents.documents.entries) == 1
    assert len(schema.documents.validations.entries) == 1


async def test_callers_under_different_rules_are_validated_apart() -> None:
    """Anonymous and signed-in callers bring different introspection rules: two validations of one
    document, each giving its own answer."""
    # given
    schema = build_schema(introspection="authenticated")
    user = Principal(kind="user", id=uuid4(), roles={})
    # when
    refused = await schema.execute(SCHEMA_NAME, context_value=_context(ANONYMOUS))
    answered = await schema.execute(SCHEMA_NAME, context_value=_context(user))
    refused_again = await schema.execute(SCHEMA_NAME, context_value=_context(ANONYMOUS))
    # then
    assert refused.errors and refused_again.errors and answered.errors is None
    assert answered.data == {"__schema": {"queryType": {"name": "Query"}}}
    assert len(schema.documents.documents.entries) == 1
    assert len(schema.documents.validations.entries) == 2


async def test_at_most_maxsize_documents_are_kept() -> None:
    """Past its size the cache drops the oldest entries, so many distinct texts cannot grow it."""
    # given
    schema = build_schema()
    schema.documents.documents.maxsize = schema.documents.validations.maxsize = 4
    # when
    for number in range(10):
        await schema.execute(f"query {{ a{number}: __typename }}", context_value=_context(ANONYMOUS))
    # then
    assert len(schema.documents.documents.entries) == 4
    assert len(schema.documents.validations.entries) == 4
