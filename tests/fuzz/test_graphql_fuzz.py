"""``/graphql`` fuzzed: generated documents, and hostile variables in the main queries and mutations.

Two kinds of input, sent as an owner, as a store key and as nobody:

- whole documents hypothesis-graphql generates from the schema itself (every root query and
  mutation, literal arguments, valid and one-violation-off), and
- the operations clients really run, with hostile text and JSON (NUL, unpaired surrogates, control
  characters, huge strings and numbers, nesting far past the cap) in their variables.

Whatever comes in, the answer is JSON, never a 5xx, and never the masked "Internal error." that an
unexpected exception turns into: every refusal is a typed error. Bounded and derandomized for CI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import graphql
import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

from graph.schema import build_schema
from tests.fuzz.hostile import FUZZ, deep_json, encode, hostile_text, json_values, order_event, spoiled_events
from tests.support.api import ApiClient
from tests.support.factories import make_owner, make_store_key

INTERNAL = "Internal error."
SCHEMA = build_schema()._schema


# --- who asks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Callers:
    """The headers of each kind of caller, one store for all of a test's examples."""

    owner: dict[str, str]
    store: dict[str, str]
    nobody: dict[str, str]

    def of(self, who: str) -> dict[str, str]:
        return {"owner": self.owner, "store": self.store, "nobody": self.nobody}[who]


@pytest_asyncio.fixture(loop_scope="session")
async def callers(client: ApiClient) -> Callers:
    owner = await make_owner()
    key = await make_store_key(owner)
    return Callers(
        owner={"Authorization": f"Bearer {owner.token}", "X-Revisit-Tenant": owner.tenant_id},
        store={"Authorization": f"Bearer {key}"},
        nobody={},
    )


WHO = st.sampled_from(["owner", "store", "nobody"])


async def post(client: ApiClient, headers: dict[str, str], body: Any) -> dict[str, Any]:
    """POST ``body`` to /graphql as the wire would carry it; assert the answer is typed, not internal."""
    response = await client.http.post(
        "/graphql", content=encode(body), headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code < 500, response.text[:500]
    answer = response.json()
    messages = [error.get("message") for error in answer.get("errors") or []]
    assert INTERNAL not in messages, (body if len(str(body)) < 2000 else str(body)[:2000], answer)
    return answer


# --- documents generated from the schema ----------------------------------------------------------


def _literal(value: Any) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal (keys must be GraphQL names there)."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, float):
        return graphql.FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return graphql.StringValueNode(value=value)
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(_literal(item) for item in value))
    return graphql.ObjectValueNode(
        fields=tuple(
            graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=_literal(item))
            for key, item in value.items()
        )
    )


NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
LITERAL_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | hostile_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(NAMES, children, max_size=3),
    max_leaves=10,
).map(_literal)
CUSTOM_SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "JSON": LITERAL_JSON,
    "_Any": st.fixed_dictionaries(
        {"__typename": st.sampled_from(["Tenant", "Customer", "Nope"]), "id": hostile_text}
    ).map(_literal),
    "Money": st.integers().map(_literal),
    "DateTime": st.datetimes(timezones=st.just(UTC)).map(lambda moment: _literal(moment.isoformat())),
    "Date": st.dates().map(lambda day: _literal(day.isoformat())),
    # A file travels only as a multipart part; written inline it must still get a typed answer.
    "Upload": (st.none() | hostile_text).map(_literal),
}
DOCUMENTS = st.one_of(
    *(
        strategy(SCHEMA, custom_scalars=CUSTOM_SCALARS, mode=mode)
        for strategy in (queries, mutations)
        for mode in (Mode.POSITIVE, Mode.NEGATIVE)
    )
)


@FUZZ
@given(document=DOCUMENTS, who=WHO)
async def test_generated_documents_never_fail_internally(
    client: ApiClient, callers: Callers, document: str, who: str
) -> None:
    """Any query or mutation the schema allows (or one violation away), as anyone, gets a typed answer."""
    # when / then
    await post(client, callers.of(who), {"query": document})


# --- the operations clients run, with hostile variables -------------------------------------------


@dataclass(frozen=True)
class Operation:
    """A document clients run, the variables to fuzz it with, and who may run it (so it gets past
    authentication and permissions to the code that reads the variables)."""

    document: str
    variables: st.SearchStrategy[dict[str, Any]]
    who: str


TEXT_OR_JSON = st.one_of(hostile_text, hostile_text, hostile_text, json_values, deep_json)
"""Mostly text, as string variables carry; sometimes any JSON, or JSON nested past the cap."""
EMAIL_OR_TEXT = st.uuids().map(lambda uuid: f"{uuid.hex}@example.ir") | hostile_text
"""A fresh valid e-mail address half of the time, so the fields checked after it are reached too."""
CUSTOMER_REF = st.fixed_dictionaries(
    {}, optional={"externalId": TEXT_OR_JSON, "phone": TEXT_OR_JSON, "email": TEXT_OR_JSON}
)

OPERATIONS = {
    "login": Operation(
        "mutation($email: String!, $password: String!) { login(email: $email, password: $password) "
        "{ accessToken errors { code field message } } }",
        st.fixed_dictionaries({"email": TEXT_OR_JSON, "password": TEXT_OR_JSON}),
        who="nobody",
    ),
    "register": Operation(
        "mutation($input: RegisterInput!) { register(input: $input) { accessToken errors { code field } } }",
        st.fixed_dictionaries(
            {
                "input": st.fixed_dictionaries(
                    {
                        "email": EMAIL_OR_TEXT,
                        "password": st.just("a sturdy passphrase 1403"),
                        "storeName": hostile_text,
                    },
                    optional={
                        "fullName": TEXT_OR_JSON,
                        "currency": hostile_text,
                        "timezone": hostile_text,
                        "locale": hostile_text,
                        "country": hostile_text,
                    },
                )
            }
        ),
        who="nobody",
    ),
    "customers": Operation(
        "query($search: String, $after: String, $first: Int) { customers(search: $search, after: $after, "
        "first: $first) { edges { node { id } } } }",
        st.fixed_dictionaries(
            {}, optional={"search": TEXT_OR_JSON, "after": TEXT_OR_JSON, "first": json_values}
        ),
        who="owner",
    ),
    "orders": Operation(
        "query($status: String, $customerId: ID) { orders(status: $status, customerId: $customerId) "
        "{ edges { node { id } } } }",
        st.fixed_dictionaries({}, optional={"status": TEXT_OR_JSON, "customerId": TEXT_OR_JSON}),
        who="owner",
    ),
    "ingestedEvents": Operation(
        "query($status: String, $after: String) { ingestedEvents(status: $status, after: $after) "
        "{ edges { node { id } } } }",
        st.fixed_dictionaries({}, optional={"status": TEXT_OR_JSON, "after": TEXT_OR_JSON}),
        who="owner",
    ),
    "customer": Operation(
        "query($id: ID!) { customer(id: $id) { id } }",
        st.fixed_dictionaries({"id": TEXT_OR_JSON}),
        who="owner",
    ),
    "createStoreKey": Operation(
        "mutation($name: String!) { createStoreKey(name: $name) { token errors { code field } } }",
        st.fixed_dictionaries({"name": TEXT_OR_JSON}),
        who="owner",
    ),
    "revokeStoreKey": Operation(
        "mutation($id: ID!) { revokeStoreKey(id: $id) { errors { code field } } }",
        st.fixed_dictionaries({"id": TEXT_OR_JSON}),
        who="owner",
    ),
    "ingestEvents": Operation(
        "mutation($events: [JSON!]!) { ingestEvents(events: $events) { accepted rejected "
        "results { id status reason } errors { code field } } }",
        st.fixed_dictionaries({"events": st.lists(json_values | spoiled_events("e-1"), max_size=4)}),
        who="store",
    ),
    "ingestWooCommerceWebhook": Operation(
        "mutation($topic: String!, $payload: JSON!, $deliveryId: String) { ingestWooCommerceWebhook("
        "topic: $topic, payload: $payload, deliveryId: $deliveryId) "
        "{ accepted rejected ignored errors { code } } }",
        st.fixed_dictionaries(
            {
                "topic": st.sampled_from(["order.updated", "customer.created", "order.deleted"])
                | hostile_text,
                "payload": json_values,
            },
            optional={"deliveryId": TEXT_OR_JSON},
        ),
        who="store",
    ),
    "creditQuote": Operation(
        "query($customer: CustomerRefInput!, $cartTotal: String!, $currency: String!) { creditQuote("
        "customer: $customer, cartTotal: $cartTotal, currency: $currency) { quote { available } "
        "errors { code field } } }",
        st.fixed_dictionaries(
            {"customer": CUSTOMER_REF, "cartTotal": TEXT_OR_JSON, "currency": st.just("IRT") | hostile_text}
        ),
        who="store",
    ),
    "holdCredit": Operation(
        "mutation($input: HoldCreditInput!) { holdCredit(input: $input) "
        "{ hold { held } errors { code field } } }",
        st.fixed_dictionaries(
            {
                "input": st.fixed_dictionaries(
                    {
                        "orderExternalId": TEXT_OR_JSON,
                        "customer": CUSTOMER_REF,
                        "amount": TEXT_OR_JSON,
                        "currency": st.just("IRT") | hostile_text,
                    }
                )
            }
        ),
        who="store",
    ),
    "releaseCredit": Operation(
        "mutation($id: String!) { releaseCredit(orderExternalId: $id) { release { released } "
        "errors { code field } } }",
        st.fixed_dictionaries({"id": TEXT_OR_JSON}),
        who="store",
    ),
    "validateCoupon": Operation(
        "query($code: String!, $customer: CustomerRefInput!, $total: String!, $currency: String!) { "
        "validateCoupon(code: $code, customer: $customer, cartTotal: $total, currency: $currency) "
        "{ check { valid } errors { code field } } }",
        st.fixed_dictionaries(
            {"code": TEXT_OR_JSON, "customer": CUSTOMER_REF, "total": TEXT_OR_JSON, "currency": hostile_text}
        ),
        who="store",
    ),
    "createAutomation": Operation(
        "mutation($input: AutomationInput!) { createAutomation(input: $input) { automation { id } "
        "errors { code field } } }",
        st.fixed_dictionaries(
            {"input": st.fixed_dictionaries({"name": TEXT_OR_JSON, "definition": TEXT_OR_JSON})}
        ),
        who="owner",
    ),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
@FUZZ
@given(data=st.data())
async def test_hostile_variables_get_typed_answers(
    client: ApiClient, callers: Callers, name: str, data: st.DataObject
) -> None:
    """The operations clients run answer hostile variables with typed errors, never "Internal error."."""
    # given
    operation = OPERATIONS[name]
    variables = data.draw(operation.variables, label="variables")
    # when / then
    await post(client, callers.of(operation.who), {"query": operation.document, "variables": variables})


@FUZZ
@given(spoiled=spoiled_events("e-spoiled"))
async def test_one_spoiled_event_never_holds_back_its_batch(
    client: ApiClient, callers: Callers, spoiled: dict[str, Any]
) -> None:
    """Whatever one event carries, a valid event sent with it is still accepted (or a duplicate)."""
    # given
    good = order_event(f"e-good-{datetime.now(UTC).timestamp()}")
    document = OPERATIONS["ingestEvents"].document
    # when
    answer = await post(client, callers.store, {"query": document, "variables": {"events": [good, spoiled]}})
    # then
    results = answer["data"]["ingestEvents"]["results"]
    assert results[0]["status"] in {"accepted", "duplicate"}, json.dumps(answer)[:500]
    assert results[1]["status"] in {"accepted", "rejected", "duplicate"}


@FUZZ
@given(body=json_values | deep_json, who=WHO)
async def test_any_json_body_gets_a_json_answer(
    client: ApiClient, callers: Callers, body: Any, who: str
) -> None:
    """Whatever JSON arrives as the body itself (a list, a string, no query, nesting past the cap), the
    answer is JSON and typed, never a 5xx."""
    # when / then
    await post(client, callers.of(who), body)


@FUZZ
@given(body=st.binary(max_size=300), content_type=st.sampled_from(["application/json", "text/plain", ""]))
async def test_bytes_that_are_no_json_get_a_json_answer(
    client: ApiClient, callers: Callers, body: bytes, content_type: str
) -> None:
    """Arbitrary bytes (invalid UTF-8 included) under any content type: a JSON 4xx, never a 5xx."""
    # when
    response = await client.http.post(
        "/graphql", content=body, headers={**callers.owner, "Content-Type": content_type}
    )
    # then
    assert response.status_code < 500, response.text[:500]
    assert INTERNAL not in response.text
    response.json()


HEADER_VALUES = st.one_of(
    st.sampled_from(["", "Bearer ", "Bearer rvk_" + "a" * 40 + "_x", "Bearer e30.e30.", "not-a-uuid"]),
    st.binary(max_size=120).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")),
    hostile_text.map(lambda text: text.encode("utf-8", "surrogatepass")[:2000]),
)
"""What a client can put in a header: bytes an HTTP server would pass on (no line breaks)."""


@FUZZ
@given(
    authorization=HEADER_VALUES,
    tenant=HEADER_VALUES,
    request_id=HEADER_VALUES,
    path=st.sampled_from(["/graphql", "/rest/v1/connection", "/rest/v1/events"]),
)
async def test_hostile_headers_get_typed_answers(
    client: ApiClient, authorization: bytes, tenant: bytes, request_id: bytes, path: str
) -> None:
    """Any Authorization, X-Revisit-Tenant and X-Request-ID: a JSON answer with a sane request id."""
    # given
    headers = {"Authorization": authorization, "X-Revisit-Tenant": tenant, "X-Request-ID": request_id}
    body = {"query": "{ tenant { id } }"} if path == "/graphql" else {"events": [order_event("e-1")]}
    # when
    if path == "/rest/v1/connection":
        response = await client.http.get(path, headers=headers)
    else:
        response = await client.http.post(
            path, content=encode(body), headers={**headers, "Content-Type": b"application/json"}
        )
    # then
    assert response.status_code < 500, response.text[:500]
    assert INTERNAL not in response.text
    response.json()
    echoed = response.headers["x-request-id"]
    assert 0 < len(echoed) <= 64 and echoed.isprintable() and echoed.isascii()
