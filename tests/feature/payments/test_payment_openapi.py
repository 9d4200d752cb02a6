"""The payment routes are in /rest/v1/openapi.json as the app serves them: every path and method, the
gateways' callbacks without sign-in, the printable documents behind an access token."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount, Route

from tests.support.api import ApiClient

CALLBACKS = {
    "/rest/v1/payments/zarinpal/callback/{top_up_id}",
    "/rest/v1/payments/stripe/webhook",
    "/rest/v1/payments/stripe/return/{top_up_id}",
}
DOCUMENTS = {"/rest/v1/payments/top-ups/{top_up_id}/receipt", "/rest/v1/payments/invoices/{year}/{month}"}


def payment_routes(routes: list[object]) -> dict[str, set[str]]:
    """Every payment route the app serves, with its methods (HEAD, which Starlette adds to GET, aside)."""
    found: dict[str, set[str]] = {}
    for route in routes:
        if isinstance(route, Mount):
            found.update(payment_routes(list(route.routes)))
        elif isinstance(route, Route) and route.path.startswith("/rest/v1/payments/"):
            found[route.path] = {method.lower() for method in route.methods or ()} - {"head"}
    return found


async def test_every_payment_route_the_app_serves_is_described_with_its_methods(
    app: Starlette, client: ApiClient
) -> None:
    # given
    served = payment_routes(list(app.routes))
    # when
    document = (await client.http.get("/rest/v1/openapi.json")).json()
    # then
    assert set(served) == CALLBACKS | DOCUMENTS
    described = {path: set(item) for path, item in document["paths"].items() if path in served}
    assert described == served


async def test_callbacks_need_no_sign_in_and_documents_need_an_access_token(client: ApiClient) -> None:
    # when
    document = (await client.http.get("/rest/v1/openapi.json")).json()
    # then
    operations = {
        (path, method): operation
        for path, item in document["paths"].items()
        if path in CALLBACKS | DOCUMENTS
        for method, operation in item.items()
    }
    for (path, _), operation in operations.items():
        assert operation["security"] == ([] if path in CALLBACKS else [{"accessToken": []}])
    assert "accessToken" in document["components"]["securitySchemes"]


async def test_the_described_answers_are_the_handlers_answers(client: ApiClient) -> None:
    # when
    paths = (await client.http.get("/rest/v1/openapi.json")).json()["paths"]
    # then
    zarinpal = paths["/rest/v1/payments/zarinpal/callback/{top_up_id}"]
    assert set(zarinpal["get"]["responses"]) >= {"200", "303", "400", "404"}
    assert "text/html" in zarinpal["get"]["responses"]["200"]["content"]
    assert "Location" in zarinpal["get"]["responses"]["303"]["headers"]
    assert "application/x-www-form-urlencoded" in zarinpal["post"]["requestBody"]["content"]
    webhook = paths["/rest/v1/payments/stripe/webhook"]["post"]
    assert [p["name"] for p in webhook["parameters"]] == ["Stripe-Signature"]
    assert set(webhook["responses"]) >= {"200", "400", "404", "413", "503"}
    assert "NOT_CONFIRMED_YET" in webhook["responses"]["503"]["description"]
    invoice = paths["/rest/v1/payments/invoices/{year}/{month}"]["get"]
    assert "INVALID_PERIOD" in invoice["responses"]["400"]["description"]
    receipt = paths["/rest/v1/payments/top-ups/{top_up_id}/receipt"]["get"]
    assert set(receipt["responses"]) >= {"200", "401", "403", "404", "422"}
