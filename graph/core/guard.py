"""One guard for every GraphQL argument: no text that PostgreSQL cannot store reaches a resolver.

:class:`TextGuard` looks at each field's arguments (literals and variables alike, after GraphQL has
coerced them) before the field resolves, walking lists, input objects and JSON values. A string with
NUL, an unpaired surrogate or a control character other than tab and line breaks is refused
(:func:`domain.text.free_text_problem`): a mutation whose typed errors know ``INVALID`` answers it as
data, ``errors: [{code: INVALID, field: "storeName", …}]`` (fields of an ``input`` object are named
inside it); any other field answers a top-level error with ``extensions: {code: "INVALID", field: …}``.
Either way nothing runs.

Stricter rules for particular fields (identifiers, lengths) live in their pydantic boundary models.
Arguments whose JSON items are validated one by one (:data:`ITEMWISE_JSON_ARGUMENTS`) are left to that
validation, so one bad event of a batch is rejected alone and the others are still accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLResolveInfo,
    GraphQLScalarType,
    SchemaMetaFieldDef,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
)
from strawberry.extensions import SchemaExtension
from strawberry.utils.await_maybe import AwaitableOrValue

from domain.text import describe_path, free_text_problem
from graph.core.errors import DomainErrorsAsData

ITEMWISE_JSON_ARGUMENTS: Final = frozenset(
    {
        ("Mutation", "ingestEvents", "events"),
        ("Mutation", "ingestWooCommerceWebhook", "payload"),
    }
)
"""(type, field, argument) whose JSON is validated event by event by :mod:`domain.events.schema`, which
refuses unstorable text in any key or value of the one event that carries it."""

Path = tuple[str | int, ...]

_META_FIELDS: Final = {
    "__schema": SchemaMetaFieldDef,
    "__type": TypeMetaFieldDef,
    "__typename": TypeNameMetaFieldDef,
}
"""Introspection's own fields, which no type lists among its fields (``__type(name:)`` takes text too)."""


def _definition(info: GraphQLResolveInfo) -> GraphQLField:
    return info.parent_type.fields.get(info.field_name) or _META_FIELDS[info.field_name]


def _strings(value: Any, graphql_type: GraphQLInputType | None, path: Path) -> Iterator[tuple[Path, str]]:
    """Every string in an argument value, with its path; iterative, keys of JSON objects included."""
    stack: list[tuple[Any, GraphQLInputType | None, Path]] = [(value, graphql_type, path)]
    while stack:
        current, kind, at = stack.pop()
        while isinstance(kind, GraphQLNonNull):
            kind = kind.of_type
        if isinstance(current, str):
            yield at, current
        elif isinstance(current, list):
            item_type = kind.of_type if isinstance(kind, GraphQLList) else None
            stack.extend((item, item_type, (*at, index)) for index, item in enumerate(current))
        elif isinstance(current, dict):
            fields = kind.fields if isinstance(kind, GraphQLInputObjectType) else {}
            names = {(field.out_name or name): name for name, field in fields.items()}
            for key, item in current.items():
                if isinstance(key, str):
                    yield at, key
                name = names.get(key) or str(key)
                field_type = fields[name].type if name in fields else None
                stack.append((item, field_type, (*at, name)))


def _problem(info: GraphQLResolveInfo, arguments: dict[str, Any]) -> tuple[str, str] | None:
    """The first refused string among a field's arguments: its path and what is wrong."""
    for name, argument in _definition(info).args.items():
        key = argument.out_name or name
        if key not in arguments:
            continue
        named = argument.type
        while isinstance(named, GraphQLNonNull | GraphQLList):
            named = named.of_type
        if (info.parent_type.name, info.field_name, name) in ITEMWISE_JSON_ARGUMENTS and (
            isinstance(named, GraphQLScalarType) and named.name == "JSON"
        ):
            continue
        # Errors of a mutation taking one ``input`` object name fields inside it, as its own errors do.
        start: Path = () if name == "input" and isinstance(named, GraphQLInputObjectType) else (name,)
        for path, text in _strings(arguments[key], argument.type, start):
            problem = free_text_problem(text)
            if problem:
                return describe_path(path), problem
    return None


def _errors_as_data(info: GraphQLResolveInfo) -> DomainErrorsAsData | None:
    """The field's errors-as-data extension, when its codes include INVALID."""
    strawberry_field = _definition(info).extensions.get("strawberry-definition")
    for extension in getattr(strawberry_field, "extensions", None) or ():
        if isinstance(extension, DomainErrorsAsData) and "INVALID" in extension.codes.__members__:
            return extension
    return None


class TextGuard(SchemaExtension):
    """Refuse unstorable text in any argument before its field resolves (see the module docstring)."""

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo, *args: Any, **kwargs: Any
    ) -> AwaitableOrValue[object]:
        if not kwargs:
            return _next(root, info, *args, **kwargs)
        found = _problem(info, kwargs)
        if found is None:
            return _next(root, info, *args, **kwargs)
        field, problem = found
        message = f"{field}: {problem}."
        extension = _errors_as_data(info)
        if extension is not None:
            return extension.payload(
                errors=[extension.error(code=extension.codes["INVALID"], field=field, message=message)]
            )
        raise GraphQLError(message, extensions={"code": "INVALID", "field": field})
