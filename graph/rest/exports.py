"""``GET /rest/v1/customers/export``: a store's customers as a CSV or XLSX file, sent as it is read.

Query parameters: ``format`` (``csv``, the default, or ``xlsx``), ``segment`` (a segment's id: its current
members only), ``search`` (name, phone or e-mail, as the ``customers`` query matches) and ``tenant`` (the
store; else the ``X-Revisit-Tenant`` header, else the caller's only store). The caller signs in as for
GraphQL (``Authorization: Bearer <access token>``) and needs ``customers``/``read`` in the store. Refusals
are the REST routes' error body, ``{"error": {"code", "message", "field"?}}``: 400 for a bad parameter,
401, 403, 404 for a segment (or store) that is not the store's; all are decided before the file starts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Final
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from domain.errors import NotFound
from domain.exports.customer_lists import COLUMNS, Selection, open_export
from domain.exports.writers import csv_file, xlsx_file
from domain.text import identifier_problem
from graph.core.permissions import REFUSALS, refusal_of
from graph.rest.http import problem
from graph.view import build_context

MAX_SEARCH_CHARS: Final = 100

Writer = Callable[..., AsyncIterator[bytes]]
FORMATS: Final[dict[str, tuple[str, Writer]]] = {
    "csv": ("text/csv; charset=utf-8", csv_file),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_file),
}


def export_routes() -> list[BaseRoute]:
    return [Route("/rest/v1/customers/export", export_customers, methods=["GET"])]


async def export_customers(request: Request) -> Response:
    """Send the selected customers of the store as a file (see the module docstring)."""
    parameters = request.query_params
    chosen = parameters.get("format", "csv").strip().lower()
    if chosen not in FORMATS:
        return problem(400, "INVALID", "format must be csv or xlsx.", field="format")
    search = parameters.get("search")
    if search is not None and (len(search) > MAX_SEARCH_CHARS or identifier_problem(search)):
        message = identifier_problem(search) or f"search may be at most {MAX_SEARCH_CHARS} characters"
        return problem(400, "INVALID", f"{message}.", field="search")
    context = await build_context(request)
    if not context.principal.is_authenticated:
        return _refused("UNAUTHENTICATED")
    tenant_id = _uuid(parameters.get("tenant")) if parameters.get("tenant") else context.tenant_id
    segment_id = _uuid(parameters.get("segment")) if parameters.get("segment") else None
    if parameters.get("tenant") and tenant_id is None:
        return problem(404, "NOT_FOUND", "Store not found.", field="tenant")
    refusal = refusal_of(context.principal, tenant_id, "customers", "read")
    if refusal is not None or tenant_id is None:
        return _refused(refusal or "TENANT_REQUIRED")
    if parameters.get("segment") and segment_id is None:
        return problem(404, "NOT_FOUND", "Segment not found.", field="segment")
    try:
        export = await open_export(tenant_id=tenant_id, selection=Selection(segment_id, search))
    except NotFound as exc:
        return problem(404, exc.code, exc.message, field=exc.field)
    media_type, writer = FORMATS[chosen]
    filename = f"customers-{datetime.now(export.timezone).date().isoformat()}.{chosen}"
    return StreamingResponse(
        writer(export.chunks(), columns=COLUMNS),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(str(text))
    except ValueError:
        return None


def _refused(refusal: str) -> Response:
    if refusal == "UNAUTHENTICATED":
        return problem(401, "UNAUTHENTICATED", "Sign in: send Authorization: Bearer <access token>.")
    if refusal == "FORBIDDEN":
        return problem(403, "FORBIDDEN", REFUSALS["FORBIDDEN"])
    return problem(422, refusal, REFUSALS[refusal])
