"""Federation's entity references, checked before strawberry resolves them.

A gateway asks ``_entities(representations: [{__typename, id}])``. Strawberry looks the type name up
without a check, so a representation that is no object, names no entity type of this subgraph or has no
usable ``id`` would fail with a ``KeyError`` or ``TypeError``, masked as "Internal error.". These checks
turn each such representation into a typed ``INVALID`` error naming it instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError

from domain.text import identifier_problem


def _refuse(index: int, message: str) -> GraphQLError:
    field = f"representations.{index}"
    return GraphQLError(f"{field}: {message}", extensions={"code": "INVALID", "field": field})


def checked_representations(representations: Iterable[Any], entity_types: set[str]) -> list[dict[str, Any]]:
    """Each representation as ``{"__typename", "id"}`` (other keys dropped: entities are keyed by id only).

    Raises ``GraphQLError`` (``INVALID``) for the first one that names no entity of ``entity_types`` or
    carries no string or integer ``id``.
    """
    checked = []
    for index, representation in enumerate(representations):
        if not isinstance(representation, dict):
            raise _refuse(index, "A representation is an object with __typename and id.")
        type_name = representation.get("__typename")
        if not isinstance(type_name, str) or type_name not in entity_types:
            raise _refuse(index, f"__typename must be one of {', '.join(sorted(entity_types))}.")
        key = representation.get("id")
        if isinstance(key, bool) or not isinstance(key, str | int):
            raise _refuse(index, "id must be a string or an integer.")
        problem = identifier_problem(str(key))
        if problem:
            raise _refuse(index, f"id: {problem}.")
        checked.append({"__typename": type_name, "id": str(key)})
    return checked
