"""The OpenAPI description says what the server really refuses: text rules, error bodies, statuses."""

from __future__ import annotations

import re

from tests.support.api import ApiClient


async def test_every_operation_documents_the_answers_all_routes_share(client: ApiClient) -> None:
    """Operations with a body document 400/413/422; every operation documents 500, all as Error."""
    # when
    document = (await client.http.get("/rest/v1/openapi.json")).json()
    # then
    for path, item in document["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            expected = {"400", "413", "422", "500"} if "requestBody" in operation else {"500"}
            assert expected <= statuses, (method, path, statuses)
            internal = operation["responses"]["500"]["content"]["application/json"]["schema"]
            assert internal == {"$ref": "#/components/schemas/Error"}


async def test_the_error_body_documents_field_and_request_id(client: ApiClient) -> None:
    """The Error schema has the optional `field` and `request_id` the server sends."""
    # when
    document = (await client.http.get("/rest/v1/openapi.json")).json()
    # then
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message"]
    assert {"code", "message", "field", "request_id"} <= set(error["properties"])


async def test_identifier_fields_document_that_control_characters_are_refused(client: ApiClient) -> None:
    """E-mails, names and ids carry a pattern excluding control characters; free text excludes all but
    tab and line breaks; the patterns agree with what the server accepts."""
    # when
    schemas = (await client.http.get("/rest/v1/openapi.json")).json()["components"]["schemas"]
    email = schemas["CustomerData"]["properties"]["email"]["anyOf"][0]
    product_name = schemas["OrderItemData"]["properties"]["name"]
    # then
    assert email["maxLength"] == 254
    identifier, free_text = re.compile(email["pattern"]), re.compile(product_name["pattern"])
    assert identifier.match("sara@example.ir")
    assert not identifier.match("sara\t@example.ir")
    assert free_text.match("چای\tسبز\nممتاز")
    assert not free_text.match("a\x00b")
    assert not free_text.match("bell\x07")
