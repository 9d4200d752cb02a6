"""A store's printable payment documents, as HTML pages to keep or print.

- ``GET /rest/v1/payments/top-ups/{top_up_id}/receipt``: the receipt of a paid top-up.
- ``GET /rest/v1/payments/invoices/{year}/{month}``: the invoice of a month of the store's calendar (Jalali
  or Gregorian), its charges from the wallet ledger by kind.

The caller signs in as for GraphQL (``Authorization: Bearer <access token>``) and needs ``billing``/``read``
in the store, chosen by ``?tenant=``, else ``X-Revisit-Tenant``, else the caller's only store — as the
customer export does. Refusals are the REST routes' error body: 401, 403, 404 for another store's top-up
(or one not paid yet), 400 for a month that does not exist.
"""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from domain.errors import DomainError, NotFound
from domain.payments import documents, invoices, topups
from domain.tenancy import service as tenancy
from graph.core.ids import parse_uuid
from graph.core.permissions import REFUSALS, refusal_of
from graph.payments import paths
from graph.rest.http import problem
from graph.view import build_context


def payment_document_routes() -> list[BaseRoute]:
    return [
        Route(paths.RECEIPT, receipt, methods=["GET"]),
        Route(paths.INVOICE, invoice, methods=["GET"]),
    ]


async def _store(request: Request) -> tuple[UUID | None, Response | None]:
    """The store the caller may read billing documents of, or the refusal."""
    context = await build_context(request)
    if not context.principal.is_authenticated:
        return None, problem(401, "UNAUTHENTICATED", "Sign in: send Authorization: Bearer <access token>.")
    named = request.query_params.get("tenant")
    tenant_id = parse_uuid(named) if named else context.tenant_id
    if named and tenant_id is None:
        return None, problem(404, "NOT_FOUND", "Store not found.", field="tenant")
    refusal = refusal_of(context.principal, tenant_id, "billing", "read")
    if refusal == "FORBIDDEN":
        return None, problem(403, "FORBIDDEN", REFUSALS["FORBIDDEN"])
    if refusal is not None or tenant_id is None:
        code = refusal or "TENANT_REQUIRED"
        return None, problem(401 if code == "UNAUTHENTICATED" else 422, code, REFUSALS[code])
    return tenant_id, None


def _page(html: str, filename: str) -> HTMLResponse:
    return HTMLResponse(
        html,
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


async def receipt(request: Request) -> Response:
    """The receipt of one of the store's paid top-ups."""
    tenant_id, refusal = await _store(request)
    if refusal is not None or tenant_id is None:
        return refusal or problem(422, "TENANT_REQUIRED", REFUSALS["TENANT_REQUIRED"])
    top_up_id = parse_uuid(request.path_params["top_up_id"])
    try:
        if top_up_id is None:
            raise NotFound("Top-up")
        top_up = await topups.find(tenant_id=tenant_id, top_up_id=top_up_id)
        if top_up.status != "paid":
            raise NotFound("Paid top-up")
    except NotFound as exc:
        return problem(404, exc.code, exc.message, field="top_up_id")
    tenant = await tenancy.get_tenant(tenant_id=tenant_id)
    platform = request.app.state.settings.platform_name
    page = documents.receipt_html(tenant, top_up, platform=platform)
    return _page(page, f"{documents.receipt_number(top_up)}.html")


async def invoice(request: Request) -> Response:
    """The invoice of one month of the store's calendar."""
    tenant_id, refusal = await _store(request)
    if refusal is not None or tenant_id is None:
        return refusal or problem(422, "TENANT_REQUIRED", REFUSALS["TENANT_REQUIRED"])
    year, month = request.path_params["year"], request.path_params["month"]
    if (
        not all(part.isascii() and part.isdigit() for part in (year, month))
        or len(year) > 4
        or len(month) > 2
    ):
        return problem(
            400, "INVALID_PERIOD", "The month is /invoices/<year>/<month>, in digits.", field="month"
        )
    tenant = await tenancy.get_tenant(tenant_id=tenant_id)
    try:
        chosen = await invoices.invoice(tenant, int(year), int(month))
    except DomainError as exc:
        return problem(400, exc.code, exc.message, field=exc.field)
    platform = request.app.state.settings.platform_name
    page = documents.invoice_html(tenant, chosen, platform=platform)
    return _page(page, f"{documents.invoice_number(tenant, chosen)}.html")
