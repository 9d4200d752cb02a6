"""The REST API against its own OpenAPI description, fuzzed with schemathesis, in process.

Every operation of ``/rest/v1/openapi.json`` is called through the ASGI app with generated requests,
valid ones (positive) and ones the description forbids (negative), as a store key (WooCommerce
webhook deliveries signed with the key's webhook secret) and as strangers; then with hostile JSON
bodies (NUL, unpaired surrogates, control characters, nesting far past the cap). Whatever is sent,
the answer is never a server error, its status is one the description lists for the operation, and
its body matches the schema documented for that status.

Bounded and derandomized so it runs the same way in CI every time, in a few seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from graph.rest.openapi import openapi_document
from tests.fuzz.hostile import FUZZ, deep_json, encode, json_values, order_event, spoiled_events
from tests.support.api import ApiClient
from tests.support.factories import make_owner, make_store_key
from tests.support.woocommerce import WEBHOOK_PATH, connect_webhooks, signature

SCHEMA = schemathesis.openapi.from_dict(openapi_document())
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
STRATEGIES = {mode: SCHEMA.as_strategy(mode) for mode in MODES}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MALFORMED_AUTHORIZATION = [
    "",
    "Bearer ",
    "Bearer rvk_",
    "Bearer rvk__",
    "Bearer rvk_" + "a" * 40 + "_x",
    "Bearer rvk_0000000000000000_" + "s" * 5000,
    "Bearer rvk_%00_x",
    "Bearer x.y.z",
    "Basic eA==",
]
POST_ROUTES = sorted(path for path, item in openapi_document()["paths"].items() if "post" in item)


@dataclass(frozen=True)
class Store:
    """A store key's Authorization header, and the public id and secret its webhooks are signed with."""

    headers: dict[str, str]
    public_id: str
    webhook_secret: str


@pytest_asyncio.fixture(loop_scope="session")
async def store(client: ApiClient) -> Store:
    """One store for all of a test's examples, with a store key and a webhook key."""
    owner = await make_owner()
    token = await make_store_key(owner)
    webhooks = await connect_webhooks(owner)
    return Store({"Authorization": f"Bearer {token}"}, webhooks.public_id, webhooks.secret)


def _literal(path: str) -> dict[str, Any]:
    """A route posted to as written (``{scope}`` and all) still names its path parameters for the check."""
    names = re.findall(r"{(\w+)}", path)
    return {"path_parameters": {name: "{" + name + "}" for name in names}} if names else {}


def _merged(generated: dict[str, str], ours: dict[str, str]) -> dict[str, str]:
    """Generated headers, except those the caller sets (in any letter case): the caller's win."""
    taken = {name.lower() for name in ours}
    return {**{name: value for name, value in generated.items() if name.lower() not in taken}, **ours}


def _request(case: schemathesis.Case, headers: dict[str, str], store: Store | None) -> dict[str, Any]:
    """The generated request as ``httpx`` arguments, JSON encoded as on the wire; webhooks signed."""
    kwargs = case.as_transport_kwargs(base_url="http://revisit.test")
    ours = dict(headers)
    params = dict(kwargs.get("params") or {})
    content: bytes | None = None
    if "json" in kwargs:
        content = encode(kwargs["json"])
        ours["Content-Type"] = "application/json"
    elif isinstance(kwargs.get("data"), dict):
        content = urlencode(kwargs["data"], doseq=True).encode()
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        content = data.encode() if isinstance(data, str) else bytes(data)
    if store is not None and case.operation.path == WEBHOOK_PATH:
        params["key"] = store.public_id
        ours["X-WC-Webhook-Signature"] = signature(content or b"", store.webhook_secret)
    return {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": _merged(kwargs.get("headers") or {}, ours),
        "params": params,
        "content": content,
    }


async def _call_and_check(
    client: ApiClient, case: schemathesis.Case, headers: dict[str, str], store: Store | None = None
) -> None:
    response: httpx.Response = await client.http.request(**_request(case, headers, store))
    case.validate_response(response, checks=CHECKS)


async def test_the_served_description_is_the_one_fuzzed(client: ApiClient) -> None:
    """What ``/rest/v1/openapi.json`` serves is the document these tests generate requests from."""
    # when
    response = await client.http.get("/rest/v1/openapi.json")
    # then
    assert response.status_code == 200
    assert response.json() == openapi_document()


@pytest.mark.parametrize("mode", MODES)
@FUZZ
@given(data=st.data())
async def test_every_operation_answers_as_documented_for_a_store_key(
    client: ApiClient, store: Store, mode: schemathesis.GenerationMode, data: st.DataObject
) -> None:
    """Generated requests with a live store key never get a 5xx, and every answer matches the schema."""
    # given
    case = data.draw(STRATEGIES[mode], label="case")
    # when / then
    await _call_and_check(client, case, store.headers, store)


@pytest.mark.parametrize("mode", MODES)
@FUZZ
@given(data=st.data(), authorization=st.sampled_from(MALFORMED_AUTHORIZATION))
async def test_every_operation_answers_as_documented_for_strangers(
    client: ApiClient, mode: schemathesis.GenerationMode, data: st.DataObject, authorization: str
) -> None:
    """Without a key, or with a malformed one, every operation answers a documented 4xx, never a 5xx."""
    # given
    case = data.draw(STRATEGIES[mode], label="case")
    headers = {"Authorization": authorization} if authorization else {}
    # when / then
    await _call_and_check(client, case, headers)


@FUZZ
@given(path=st.sampled_from(POST_ROUTES), body=json_values | deep_json)
async def test_hostile_json_bodies_get_documented_answers(
    client: ApiClient, store: Store, path: str, body: Any
) -> None:
    """Any JSON body, NUL, surrogates and deep nesting included, gets a documented answer on every route."""
    # given
    content = encode(body)
    headers = {**store.headers, "Content-Type": "application/json", "X-WC-Webhook-Topic": "order.updated"}
    headers["X-WC-Webhook-Signature"] = signature(content, store.webhook_secret)
    # when
    response = await client.http.post(path, content=content, params={"key": store.public_id}, headers=headers)
    # then
    case = SCHEMA[path]["POST"].Case(
        body=body if len(content) < 10_000 else None, media_type="application/json", **_literal(path)
    )
    case.validate_response(response, checks=CHECKS)


@FUZZ
@given(path=st.sampled_from(POST_ROUTES), body=st.binary(max_size=300))
async def test_bytes_that_are_no_json_get_documented_answers(
    client: ApiClient, store: Store, path: str, body: bytes
) -> None:
    """Arbitrary bytes (invalid UTF-8 included), signed where a webhook needs it: a documented 4xx."""
    # given
    headers = {**store.headers, "Content-Type": "application/json", "X-WC-Webhook-Topic": "order.updated"}
    headers["X-WC-Webhook-Signature"] = signature(body, store.webhook_secret)
    # when
    response = await client.http.post(path, content=body, params={"key": store.public_id}, headers=headers)
    # then
    SCHEMA[path]["POST"].Case(media_type="application/json", **_literal(path)).validate_response(
        response, checks=CHECKS
    )
    assert response.status_code < 500


@FUZZ
@given(spoiled=spoiled_events("e-spoiled"))
async def test_one_spoiled_event_never_holds_back_the_rest_of_a_rest_batch(
    client: ApiClient, store: Store, spoiled: dict[str, Any]
) -> None:
    """Whatever one event carries, the answer is a documented 202 and a valid event beside it is stored."""
    # given
    operation = SCHEMA["/rest/v1/events"]["POST"]
    body = {"events": [order_event("e-good"), spoiled]}
    # when
    response = await client.http.post(
        "/rest/v1/events", content=encode(body), headers={**store.headers, "Content-Type": "application/json"}
    )
    # then
    operation.Case(body=body, media_type="application/json").validate_response(response, checks=CHECKS)
    assert response.status_code == 202, response.text[:500]
    results = response.json()["results"]
    assert results[0]["status"] in {"accepted", "duplicate"}
    assert results[1]["status"] in {"accepted", "rejected", "duplicate"}
