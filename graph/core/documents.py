"""Parse and validate a document once: clients send the same few documents again and again.

strawberry parses and validates every request (graphql-core's validation walks the whole document once
per rule); for a small list query that is a fifth of the request. :class:`DocumentCache` remembers, per
schema, the parsed document of a query text and the validation errors of that document under a set of
rules. The rules are part of the key, so every rule still applies — the depth, alias and introspection
limits and the refusal of introspection to callers who may not (``IntrospectionAccess`` adds its rule per
caller) — and the token limit is part of the parse key. Only successful parses are kept; a text longer
than ``max_length`` is never kept, and at most ``maxsize`` entries are, oldest dropped first, so a
client cannot grow the cache without bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension

V = TypeVar("V")


class _Lru(Generic[V]):
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.entries: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        value = self.entries.get(key)
        if value is not None:
            self.entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        self.entries[key] = value
        self.entries.move_to_end(key)
        while len(self.entries) > self.maxsize:
            self.entries.popitem(last=False)


class DocumentCache:
    """One schema's parsed documents and validation results; ``extension()`` is its per-request hook."""

    def __init__(self, *, maxsize: int = 256, max_length: int = 20_000) -> None:
        self.max_length = max_length
        self.documents: _Lru[DocumentNode] = _Lru(maxsize)
        self.validations: _Lru[tuple[GraphQLError, ...]] = _Lru(maxsize)

    def extension(self) -> CachedDocuments:
        return CachedDocuments(self)


class CachedDocuments(SchemaExtension):
    """Serves a known query text's document and validation from the :class:`DocumentCache`."""

    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache

    def _text(self) -> str | None:
        query = self.execution_context.query
        return query if query is not None and len(query) <= self.cache.max_length else None

    def _parse_key(self, query: str) -> Hashable:
        options: dict[str, Any] = dict(self.execution_context.parse_options)
        return (query, tuple(sorted(options.items())))

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = self._text()
        if query is None or context.graphql_document is not None:
            yield
            return
        key = self._parse_key(query)
        cached = self.cache.documents.get(key)
        if cached is not None:
            context.graphql_document = cached
            yield
            return
        yield
        if context.graphql_document is not None and not context.pre_execution_errors:
            self.cache.documents.put(key, context.graphql_document)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        query = self._text()
        if query is None or context.pre_execution_errors is not None:
            yield
            return
        key = (self._parse_key(query), context.validation_rules)
        cached = self.cache.validations.get(key)
        if cached is not None:
            context.pre_execution_errors = list(cached)
            yield
            return
        yield
        if context.pre_execution_errors is not None:
            self.cache.validations.put(key, tuple(context.pre_execution_errors))
