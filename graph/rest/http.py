"""What every REST-compat route shares: error answers, reading bodies, running a fixed document.

A route's document never changes, so parsing and validating it on every request (half a checkout
look-up's time) is wasted: :func:`prepare` registers a route's documents with the schema, and
:class:`PreparedDocuments` then parses and validates each once, with every rule the schema applies
(depth, aliases, tokens, introspection), and hands the checked syntax tree to later executions. Only the
registered documents are kept, so a client's own query text never grows the cache. What depends on the
request still runs every time: authentication, permissions, the argument guard, error masking.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from functools import partial
from typing import Any

from graphql import DocumentNode
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry import Schema
from strawberry.extensions import SchemaExtension

from graph.core.context import Context
from graph.core.inputs import JsonRejected, load_json, read_capped
from graph.view import build_context

MAX_BODY_BYTES = 5 * 1024 * 1024

# Top-level errors a client can act on, and their HTTP statuses; anything else is a 500.
CLIENT_ERRORS = {
    "INVALID": 422,
    "TENANT_REQUIRED": 422,
    "NOT_FOUND": 404,
    "INVALID_PAGE_SIZE": 422,
    "INVALID_CURSOR": 422,
}


class _Documents:
    """The registered document texts, and what is known of each: its syntax tree, whether it is valid."""

    def __init__(self) -> None:
        self.texts: set[str] = set()
        self.parsed: dict[str, DocumentNode] = {}
        self.valid: set[str] = set()


class PreparedDocuments(SchemaExtension):
    """Parse and validation of the registered documents, done by strawberry once and then reused."""

    def __init__(self, documents: _Documents) -> None:
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        known = query is not None and query in self.documents.texts
        if known and query in self.documents.parsed:
            context.graphql_document = self.documents.parsed[query]
        yield
        if known and query is not None and context.graphql_document is not None:
            self.documents.parsed.setdefault(query, context.graphql_document)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        parsed = self.documents.parsed.get(query)
        checked = query in self.documents.valid and context.graphql_document is parsed
        if checked:
            context.pre_execution_errors = []  # strawberry validates only while this is None
        yield
        if not checked and context.pre_execution_errors == [] and query in self.documents.parsed:
            self.documents.valid.add(query)


_registries: weakref.WeakKeyDictionary[Schema, _Documents] = weakref.WeakKeyDictionary()


def prepare(schema: Schema, *documents: str) -> None:
    """Have ``schema`` parse and validate these fixed documents once (installing the extension once)."""
    registry = _registries.get(schema)
    if registry is None:
        registry = _registries[schema] = _Documents()
        schema.extensions = (*schema.extensions, partial(PreparedDocuments, registry))
    registry.texts.update(documents)


def problem(
    status: int, code: str, message: str, *, field: str | None = None, request_id: str | None = None
) -> JSONResponse:
    """The error answer of every REST route: ``{"error": {"code", "message", "field"?, "request_id"?}}``."""
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    if request_id:
        error["request_id"] = request_id
    return JSONResponse({"error": error}, status_code=status)


async def read_body(request: Request) -> tuple[bytes, Response | None]:
    """The raw body, or a 413 answer as soon as it is known to be larger than ``MAX_BODY_BYTES``."""
    body = await read_capped(request, limit=MAX_BODY_BYTES)
    if body is None:
        return b"", problem(413, "TOO_LARGE", f"The body may be at most {MAX_BODY_BYTES} bytes.")
    return body, None


def parse_json(body: bytes) -> tuple[Any, Response | None]:
    """``body`` parsed as JSON, or the 400 answer (``INVALID_JSON``, or ``TOO_DEEP`` past 64 levels)."""
    try:
        return load_json(body), None
    except JsonRejected as exc:
        return None, problem(400, exc.code, exc.reason)


async def read_json(request: Request) -> tuple[Any, Response | None]:
    """The body parsed as JSON, or the 413/400 answer."""
    body, failure = await read_body(request)
    if failure:
        return None, failure
    return parse_json(body)


async def execute(
    schema: Schema,
    document: str,
    variables: dict[str, Any],
    context: Context,
    *,
    forbidden: str = "This key may not do that.",
) -> tuple[Any, Response | None]:
    """Execute ``document``; return its data, or the HTTP answer for its top-level errors."""
    result = await schema.execute(document, variable_values=variables, context_value=context)
    if not result.errors:
        return result.data, None
    codes = [(error.extensions or {}).get("code") for error in result.errors]
    if "UNAUTHENTICATED" in codes:
        return None, problem(401, "UNAUTHENTICATED", "Send Authorization: Bearer <store key>.")
    if "FORBIDDEN" in codes:
        return None, problem(403, "FORBIDDEN", forbidden)
    for code, status in CLIENT_ERRORS.items():
        if code in codes:
            error = result.errors[codes.index(code)]
            return None, problem(status, code, error.message, field=(error.extensions or {}).get("field"))
    if all(error.path is None for error in result.errors):
        # The document is fixed, so an error before execution (no path) means the values the client sent
        # do not fit its variables' types, e.g. a null where an event belongs.
        return None, problem(422, "INVALID", result.errors[0].message)
    # The masked error was logged under this request id; the client can quote it.
    return None, problem(500, "INTERNAL", "Internal error.", request_id=context.request_id)


async def run(
    request: Request, schema: Schema, document: str, variables: dict[str, Any]
) -> tuple[Any, Response | None]:
    """Execute ``document`` as the caller the request authenticates."""
    return await execute(schema, document, variables, await build_context(request))
