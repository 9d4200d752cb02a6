"""Scalars beyond GraphQL's own, registered on the schema through ``SCALARS``."""

from __future__ import annotations

from typing import NewType

import strawberry
from graphql import IntValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

Money = NewType("Money", int)
"""An amount in minor units. Use it for every money field: GraphQL's Int stops at 2^31."""


def _parse_money(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("Money is a whole number of minor units.")
    return int(value)


def _parse_money_literal(node: ValueNode, variables: object = None) -> int:
    if isinstance(node, IntValueNode | StringValueNode):
        return _parse_money(int(node.value))
    raise ValueError("Money is a whole number of minor units.")


SCALARS: dict[object, ScalarDefinition] = {
    Money: strawberry.scalar(
        name="Money",
        description=(
            "An amount in minor units of a currency (rials for IRR, tomans for IRT, cents for USD), as a "
            "whole number. GraphQL's Int stops at 2^31, which a store's sums in rials pass easily."
        ),
        serialize=int,
        parse_value=_parse_money,
        parse_literal=_parse_money_literal,
    )
}
