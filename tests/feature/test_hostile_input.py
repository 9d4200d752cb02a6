"""Hostile input at the transport edges: every refusal is a typed JSON answer with a request id, and
changes nothing.

NUL, unpaired surrogates and control characters; malformed keys; JSON nested too deeply; bodies over
their cap (declared or chunked); values over their length; and whatever fails unexpectedly anyway.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.events.models import IngestedEvent
from domain.tenancy.models import StoreKey, Tenant, User
from graph.core.context import Context
from graph.core.guard import ITEMWISE_JSON_ARGUMENTS
from graph.rest.http import execute
from permissions.principal import ANONYMOUS
from revisit.middleware import RequestContext
from revisit.settings import Settings
from tests.feature.events.test_rest_events import order_event
from tests.support.api import ApiClient
from tests.support.factories import PASSWORD, make_owner, make_store_key
from tests.support.woocommerce import WEBHOOK_PATH, connect_webhooks, deliver, signature, wc_order

SEARCH = "query($s: String) { customers(search: $s) { edges { node { id } } } }"
LOGIN = """
mutation($e: String!, $p: String!) {
  login(email: $e, password: $p) { accessToken errors { code field message } }
}
"""
REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { accessToken errors { code field message } }
}
"""
CREATE_KEY = "mutation($n: String!) { createStoreKey(name: $n) { token errors { code field message } } }"
TYPENAME = "query($x: JSON) { __typename }"
INGEST = "mutation($events: [JSON!]!) { ingestEvents(events: $events) { accepted } }"


def raw_json(value: Any) -> bytes:
    """JSON as a client may really send it: ``\\u`` escapes for everything, lone surrogates included."""
    return json.dumps(value, ensure_ascii=True).encode()


def nested(depth: int) -> str:
    """JSON text of ``depth`` nested arrays (built as text: no encoder nests that deep)."""
    return "[" * depth + "]" * depth


async def store_headers() -> tuple[str, dict[str, str]]:
    owner = await make_owner()
    return owner.tenant_id, {"Authorization": f"Bearer {await make_store_key(owner)}"}


# --- NUL, surrogates and control characters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("data.customer.first_name", lambda event: event["data"]["customer"].update(first_name="سا\x00را")),
        ("data.number", lambda event: event["data"].update(number="10\x0042")),
        ("data.note", lambda event: event["data"].update(note="an unknown key\x00")),
        ("data", lambda event: event["data"].update({"unknown\x00key": "x"})),
        ("data.customer.phone", lambda event: event["data"]["customer"].update(phone="0912\ud800")),
    ],
)
async def test_unstorable_text_in_one_event_rejects_that_event_alone_naming_the_field(
    client: ApiClient, where: str, change: Any
) -> None:
    """NUL or a lone surrogate anywhere in one event (a field, an unknown key, a key's name) rejects that
    event with a reason naming where; the other events of the batch are stored."""
    # given
    tenant_id, headers = await store_headers()
    bad = order_event("e-2")
    change(bad)
    # when
    response = await client.http.post(
        "/rest/v1/events",
        content=raw_json({"events": [order_event("e-1"), bad, order_event("e-3")]}),
        headers={**headers, "Content-Type": "application/json"},
    )
    # then
    assert response.status_code == 202, response.text
    body = response.json()
    assert [result["status"] for result in body["results"]] == ["accepted", "rejected", "accepted"]
    assert body["results"][1]["id"] == "e-2"
    assert body["results"][1]["reason"].startswith(f"{where}: ")
    stored = await IngestedEvent.filter(tenant_id=tenant_id).values_list("event_id", flat=True)
    assert sorted(stored) == ["e-1", "e-3"]


async def test_control_characters_are_refused_in_names_but_tabs_and_line_breaks_are_fine_in_free_text(
    client: ApiClient,
) -> None:
    """A bell in a customer's name rejects the event; a tab and a line break in a product name do not."""
    # given
    tenant_id, headers = await store_headers()
    named = order_event("e-1")
    named["data"]["customer"]["last_name"] = "احمدی\x07"
    free = order_event("e-2")
    free["data"]["items"] = [{"product_id": "88", "name": "چای\tسبز\nممتاز", "quantity": 1, "total": "10"}]
    # when
    response = await client.http.post("/rest/v1/events", json={"events": [named, free]}, headers=headers)
    # then
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["rejected", "accepted"]
    assert results[0]["reason"].startswith("data.customer.last_name: Text may not contain control characters")
    assert await IngestedEvent.filter(tenant_id=tenant_id).count() == 1


async def test_nul_in_a_graphql_argument_is_a_typed_invalid_error_naming_the_field(client: ApiClient) -> None:
    """customers(search:) answers a top-level INVALID error with the field; login(email:) answers INVALID
    as data, whether the text came as a variable or as a literal."""
    # given
    owner = await make_owner()
    # when
    search = await client.graphql(SEARCH, {"s": "سارا\x00"}, token=owner.token)
    login = await client.graphql(LOGIN, {"e": f"{owner.user.email}\x00", "p": PASSWORD})
    literal = await client.graphql(
        'mutation { login(email: "a\\u0000@example.ir", password: "x") { errors { code field } } }'
    )
    # then
    assert search.data is None
    assert search.errors is not None
    assert search.errors[0]["extensions"] == {"code": "INVALID", "field": "search"}
    assert "NUL" in search.errors[0]["message"]
    assert login.ok()["login"]["accessToken"] is None
    assert login.ok()["login"]["errors"][0]["code"] == "INVALID"
    assert login.ok()["login"]["errors"][0]["field"] == "email"
    assert literal.ok()["login"]["errors"] == [{"code": "INVALID", "field": "email"}]


async def test_nul_inside_an_input_object_names_the_path_and_creates_nothing(client: ApiClient) -> None:
    """register(input: {storeName: "…\\u0000"}) is INVALID naming storeName; no user, no store."""
    # when
    result = await client.graphql(
        REGISTER,
        {"input": {"email": "new@example.ir", "password": PASSWORD + " x", "storeName": "چای\x00خانه"}},
    )
    # then
    errors = result.ok()["register"]["errors"]
    assert [(error["code"], error["field"]) for error in errors] == [("INVALID", "storeName")]
    assert await User.all().count() == 0
    assert await Tenant.all().count() == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/rest/v1/credit/quote",
            {"customer": {"email": "sara\x00@example.ir"}, "cart_total": "10", "currency": "IRT"},
            "customer.email",
        ),
        (
            "/rest/v1/credit/quote",
            {"customer": {"external_id": "57"}, "cart_total": "1\x000", "currency": "IRT"},
            None,
        ),
        ("/rest/v1/credit/release", {"order_external_id": "10\x0042"}, "order_external_id"),
        (
            "/rest/v1/coupons/validate",
            {"code": "A\x00", "customer": {"external_id": "5"}, "cart_total": "1", "currency": "IRT"},
            None,
        ),
    ],
)
async def test_nul_in_a_checkout_body_is_a_422_invalid_naming_the_field(
    client: ApiClient, path: str, body: dict[str, Any], field: str | None
) -> None:
    """Checkout routes answer 422 INVALID, never 500, whichever field carries the NUL."""
    # given
    _, headers = await store_headers()
    # when
    response = await client.http.post(path, json=body, headers=headers)
    # then
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID"
    assert "NUL" in error["message"]
    if field:
        assert error["message"].startswith(f"{field}: ")
    assert response.headers["x-request-id"]


# --- malformed keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "rvk_" + "a" * 33 + "_x",
        "rvk_0123456789abcdef_" + "s" * 300,
        "rvk_012345\x01789abcdef_secret",
        "rvk__x",
    ],
)
async def test_a_malformed_store_key_is_a_401_json_answer_on_every_route(
    client: ApiClient, token: str
) -> None:
    """Keys shaped wrongly (a public id longer than any key's, a huge secret, control characters) are
    unknown keys: 401 JSON with a request id on REST, UNAUTHENTICATED on GraphQL."""
    # given
    headers = {"Authorization": f"Bearer {token}"}
    # when
    connection = await client.http.get("/rest/v1/connection", headers=headers)
    events = await client.http.post("/rest/v1/events", json={"events": [order_event("e-1")]}, headers=headers)
    graphql = await client.http.post("/graphql", json={"query": "{ tenant { id } }"}, headers=headers)
    # then
    for response in (connection, events):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"
        assert response.headers["x-request-id"]
    assert graphql.status_code == 200
    assert graphql.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await IngestedEvent.all().count() == 0


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("?key=0b9f3c1e-3f8e-4a53-9c55-2b3b2c1d4e5f", 401, "UNAUTHENTICATED"),
        ("?key=" + "f" * 40, 401, "UNAUTHENTICATED"),
        ("?key=%00", 400, "INVALID"),
        ("?key=abc%01def", 400, "INVALID"),
    ],
)
async def test_a_webhook_key_that_cannot_be_a_key_is_answered_in_json(
    client: ApiClient, query: str, status: int, code: str
) -> None:
    """A uuid or an over-long id is an unknown key (401); a control character in it is 400 INVALID."""
    # when
    response = await client.http.post(f"{WEBHOOK_PATH}{query}", content=b"{}")
    # then
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.headers["x-request-id"]


async def test_nul_in_a_webhook_payload_rejects_its_event_and_is_still_answered_200(
    client: ApiClient,
) -> None:
    """WooCommerce disables failing webhooks, so the delivery is 200 with the event rejected and named."""
    # given
    owner = await make_owner()
    store = await connect_webhooks(owner)
    order = wc_order(refunds=[])
    order["billing"]["first_name"] = "سا\x00را"
    # when
    response = await deliver(
        client.http, key=store.public_id, secret=store.secret, topic="order.updated", payload=order
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (0, 1)
    assert body["results"][0]["reason"].startswith("data.billing.first_name: ")
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).count() == 0


# --- deep JSON -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
async def test_json_nested_too_deeply_is_a_400_too_deep_everywhere(client: ApiClient, depth: int) -> None:
    """/graphql, /rest/v1/events and the webhook all answer 400 TOO_DEEP, not a RecursionError."""
    # given
    owner = await make_owner()
    headers = {"Authorization": f"Bearer {await make_store_key(owner)}", "Content-Type": "application/json"}
    store = await connect_webhooks(owner)
    deep = nested(depth)
    delivery = f'{{"id": 1042, "line_items": {deep}}}'.encode()
    # when
    graphql = await client.http.post(
        "/graphql", content=f'{{"query": "{TYPENAME}", "variables": {{"x": {deep}}}}}', headers=headers
    )
    events = await client.http.post("/rest/v1/events", content=f'{{"events": [{deep}]}}', headers=headers)
    webhook = await client.http.post(
        f"{WEBHOOK_PATH}?key={store.public_id}",
        content=delivery,
        headers={
            "Content-Type": "application/json",
            "X-WC-Webhook-Topic": "order.updated",
            "X-WC-Webhook-Signature": signature(delivery, store.secret),
        },
    )
    # then
    assert graphql.status_code == 400
    assert graphql.json()["errors"][0]["extensions"]["code"] == "TOO_DEEP"
    for response in (events, webhook):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "TOO_DEEP"
    assert await IngestedEvent.all().count() == 0


async def test_json_up_to_the_nesting_limit_is_taken(client: ApiClient) -> None:
    """64 levels (the body itself is one) still reach the resolver: the event is rejected on its own."""
    # given
    _, headers = await store_headers()
    query = "mutation($x: [JSON!]!) { ingestEvents(events: $x) { rejected results { reason } } }"
    body = f'{{"query": "{query}", "variables": {{"x": [{nested(61)}]}}}}'
    # when
    response = await client.http.post(
        "/graphql", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    # then
    assert response.status_code == 200
    answer = response.json()["data"]["ingestEvents"]
    assert answer == {"rejected": 1, "results": [{"reason": "An event must be a JSON object."}]}


async def test_numbers_json_does_not_have_are_invalid_json(client: ApiClient) -> None:
    """NaN, Infinity and numbers beyond a float are not JSON: 400 INVALID_JSON, as no database takes them."""
    # given
    _, headers = await store_headers()
    headers["Content-Type"] = "application/json"
    # when
    answers = [
        await client.http.post("/rest/v1/events", content=body, headers=headers)
        for body in (b'{"events": [NaN]}', b'{"events": [{"total": 1e999}]}', b'{"events": [-Infinity]}')
    ]
    graphql = await client.http.post(
        "/graphql", content=b'{"query": "{ __typename }", "variables": {"x": NaN}}', headers=headers
    )
    # then
    assert [(answer.status_code, answer.json()["error"]["code"]) for answer in answers] == [
        (400, "INVALID_JSON")
    ] * 3
    assert graphql.status_code == 400
    assert graphql.json()["errors"][0]["extensions"]["code"] == "INVALID_JSON"


# --- body caps -----------------------------------------------------------------------------------------


async def _chunks(total: int) -> AsyncIterator[bytes]:
    body = raw_json({"query": "{ __typename }", "variables": {"pad": "x" * total}})
    for start in range(0, len(body), 1024):
        yield body[start : start + 1024]


async def test_graphql_refuses_a_body_over_its_cap_before_parsing_it(
    client: ApiClient, app: Starlette
) -> None:
    """Over ``graphql_max_body_bytes`` is 413 TOO_LARGE, declared or chunked without Content-Length;
    a body under the cap is executed."""
    # given
    settings: Settings = app.state.settings
    settings.graphql_max_body_bytes = 4096
    # when
    declared = await client.http.post(
        "/graphql", json={"query": "{ __typename }", "variables": {"pad": "x" * 5000}}
    )
    chunked = await client.http.post(
        "/graphql", content=_chunks(5000), headers={"Content-Type": "application/json"}
    )
    small = await client.http.post(
        "/graphql", content=_chunks(100), headers={"Content-Type": "application/json"}
    )
    # then
    for response in (declared, chunked):
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "TOO_LARGE"
        assert response.headers["x-request-id"]
    assert "content-length" not in chunked.request.headers
    assert small.status_code == 200
    assert small.json() == {"data": {"__typename": "Query"}}


async def test_rest_refuses_a_chunked_body_over_5_mib(client: ApiClient) -> None:
    """A chunked body without Content-Length is cut off at 5 MiB: 413 TOO_LARGE, nothing stored."""

    # given
    async def endless() -> AsyncIterator[bytes]:
        yield b'{"events": [{"id": "'
        for _ in range(6 * 1024):
            yield b"x" * 1024

    _, headers = await store_headers()
    # when
    response = await client.http.post(
        "/rest/v1/events", content=endless(), headers={**headers, "Content-Type": "application/json"}
    )
    # then
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "TOO_LARGE"
    assert await IngestedEvent.all().count() == 0


async def test_strawberry_refusals_are_json_too(client: ApiClient) -> None:
    """What strawberry itself refuses (not JSON, a wrong content type) answers GraphQL-shaped JSON."""
    # when
    not_json = await client.http.post("/graphql", content=b"{", headers={"Content-Type": "application/json"})
    wrong_type = await client.http.post("/graphql", content=b"query", headers={"Content-Type": "text/plain"})
    # then
    assert not_json.status_code == wrong_type.status_code == 400
    assert not_json.json()["errors"][0]["extensions"]["code"] == "INVALID_JSON"
    assert wrong_type.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# --- lengths -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "a" * 250 + "@example.ir"}, "email"),
        ({"storeName": "چ" * 201}, "storeName"),
        ({"fullName": "س" * 201}, "fullName"),
        ({"fullName": "Sara\x1b[31m"}, "fullName"),
    ],
)
async def test_registration_values_over_their_limits_are_invalid_and_create_nothing(
    client: ApiClient, change: dict[str, str], field: str
) -> None:
    """Over 254 characters of e-mail, 200 of a name, or a control character: INVALID naming the field."""
    # given
    registration = {"email": "new@example.ir", "password": PASSWORD + " x", "storeName": "چای", **change}
    # when
    result = await client.graphql(REGISTER, {"input": registration})
    # then
    errors = result.ok()["register"]["errors"]
    assert [(error["code"], error["field"]) for error in errors] == [("INVALID", field)]
    assert await User.all().count() == 0
    assert await Tenant.all().count() == 0


async def test_limits_are_inclusive(client: ApiClient) -> None:
    """Exactly 254 characters of e-mail and 200 of each name register fine."""
    # given
    email = "a" * (254 - len("@example.ir")) + "@example.ir"
    registration = {
        "email": email,
        "password": PASSWORD + " x",
        "storeName": "چ" * 200,
        "fullName": "س" * 200,
    }
    # when
    result = await client.graphql(REGISTER, {"input": registration})
    # then
    assert result.ok()["register"]["errors"] == []
    assert await User.filter(email=email).count() == 1


async def test_a_login_e_mail_no_account_can_have_is_invalid(client: ApiClient) -> None:
    """A 300-character e-mail is INVALID (email), not an internal error."""
    # when
    result = await client.graphql(LOGIN, {"e": "a" * 300 + "@example.ir", "p": PASSWORD})
    # then
    assert [(e["code"], e["field"]) for e in result.ok()["login"]["errors"]] == [("INVALID", "email")]


async def test_a_store_key_name_over_100_characters_is_invalid_and_makes_no_key(client: ApiClient) -> None:
    """createStoreKey(name:) over 100 characters is INVALID (name); exactly 100 is fine."""
    # given
    owner = await make_owner()
    # when
    long = await client.graphql(CREATE_KEY, {"n": "k" * 101}, token=owner.token)
    exact = await client.graphql(CREATE_KEY, {"n": "k" * 100}, token=owner.token)
    # then
    assert [(e["code"], e["field"]) for e in long.ok()["createStoreKey"]["errors"]] == [("INVALID", "name")]
    assert exact.ok()["createStoreKey"]["token"]
    assert await StoreKey.filter(tenant_id=owner.tenant.id).count() == 1


# --- whatever fails unexpectedly ---------------------------------------------------------------------------


async def test_an_unexpected_exception_is_answered_json_with_the_request_id() -> None:
    """Any exception below the middleware is 500 {"error": {"code": "INTERNAL", "request_id"}}, with the
    X-Request-ID header, and never plain text."""

    # given
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = Starlette(routes=[Route("/broken", broken)], middleware=[Middleware(RequestContext)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        # when
        response = await http.get("/broken", headers={"X-Request-ID": "req-42"})
        invented = await http.get("/broken", headers={"X-Request-ID": "\x7f\x01"})
    # then
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "req-42"
    assert response.json() == {
        "error": {"code": "INTERNAL", "message": "Internal error.", "request_id": "req-42"}
    }
    assert invented.json()["error"]["request_id"] == invented.headers["x-request-id"] != "\x7f\x01"


async def test_what_no_route_takes_is_answered_json_too(client: ApiClient) -> None:
    """An unknown path is 404 NOT_FOUND, a method a route does not take 405 METHOD_NOT_ALLOWED, and a
    /graphql body that is JSON but not an object 400 INVALID_JSON: all JSON with the request id."""
    # when
    missing = await client.http.get("/rest/v1/nothing-here")
    wrong_method = await client.http.put("/graphql", content=b"{}")
    bare_string = await client.http.post(
        "/graphql", content=b'"{ __typename }"', headers={"Content-Type": "application/json"}
    )
    # then
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert (wrong_method.status_code, wrong_method.json()["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")
    assert bare_string.status_code == 400
    assert bare_string.json()["errors"][0]["extensions"]["code"] == "INVALID_JSON"
    assert all(answer.headers["x-request-id"] for answer in (missing, wrong_method, bare_string))


async def test_a_webhook_header_with_control_characters_is_a_422_naming_it(client: ApiClient) -> None:
    """A header that becomes a variable of the webhook's document is checked like any argument."""
    # given
    owner = await make_owner()
    store = await connect_webhooks(owner)
    body = b'{"id": 1042}'
    # when
    response = await client.http.post(
        f"{WEBHOOK_PATH}?key={store.public_id}",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-WC-Webhook-Topic": "order.updated",
            "X-WC-Webhook-Signature": signature(body, store.secret),
            "X-WC-Webhook-Source": "https://chai.example.ir/\x01",
        },
    )
    # then
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "INVALID",
        "message": "storeUrl: Text may not contain control characters other than tab and line breaks "
        "(\\u0001-\\u001f, \\u007f).",
        "field": "storeUrl",
    }


async def test_values_that_do_not_fit_a_rest_document_are_a_422_not_internal(app: Starlette) -> None:
    """Should a route ever pass on a value its fixed document's variables cannot take (a null where an
    event belongs), the answer is 422 INVALID, not 500."""
    # given
    context = Context(
        principal=ANONYMOUS, tenant_id=None, queue=None, request_id="r-1", settings=app.state.settings
    )
    # when
    data, failure = await execute(app.state.schema, INGEST, {"events": [None]}, context)
    # then
    assert data is None
    assert failure is not None
    assert failure.status_code == 422
    assert json.loads(bytes(failure.body))["error"]["code"] == "INVALID"


async def test_the_arguments_left_to_per_event_validation_exist_and_take_json(app: Starlette) -> None:
    """The guard's exemptions name real JSON arguments, so a rename cannot silently start rejecting
    whole batches (or stop exempting them)."""
    # given
    schema = app.state.schema._schema
    # when / then
    for type_name, field_name, argument_name in ITEMWISE_JSON_ARGUMENTS:
        argument = schema.type_map[type_name].fields[field_name].args[argument_name]
        named = argument.type
        while hasattr(named, "of_type"):
            named = named.of_type
        assert named.name == "JSON", (type_name, field_name, argument_name)


@pytest.mark.parametrize(
    ("customer", "field"),
    [
        ({"email": "a" * 250 + "@example.ir"}, "customer.email"),
        ({"externalId": "5" * 65}, "customer.externalId"),
        ({"email": "sara\t@example.ir"}, "customer.email"),
    ],
)
async def test_a_checkout_customer_no_store_can_have_is_invalid_through_graphql(
    client: ApiClient, customer: dict[str, str], field: str
) -> None:
    """creditQuote(customer:) with an over-long or control-character id or e-mail is INVALID naming it."""
    # given
    owner = await make_owner()
    key = await make_store_key(owner)
    query = """
    query($c: CustomerRefInput!) {
      creditQuote(customer: $c, cartTotal: "10", currency: "IRT") {
        quote { available }
        errors { code field }
      }
    }
    """
    # when
    result = await client.graphql(query, {"c": customer}, token=key)
    # then
    assert result.ok()["creditQuote"] == {"quote": None, "errors": [{"code": "INVALID", "field": field}]}
