"""Introspection's own limits: how deep a ``__schema`` / ``__type`` selection may go, and who may ask.

strawberry's ``QueryDepthLimiter`` skips fields that start with ``__``, so without this a document could
nest ``ofType`` a hundred levels deep. Federation's ``_service { sdl }`` is an ordinary field, not
introspection: a gateway composes the subgraph whatever the rule here says.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
    ValidationContext,
)
from strawberry.extensions import SchemaExtension

from permissions.principal import Principal

IntrospectionRule = Literal["everyone", "authenticated", "nobody"]
META_FIELDS = frozenset({"__schema", "__type"})


def introspection_depth_rule(max_depth: int) -> type[ASTValidationRule]:
    """A validation rule refusing a ``__schema`` / ``__type`` selection nested deeper than ``max_depth``.

    Depth counts the fields that have a selection, the meta field itself included, as strawberry's limiter
    counts the rest of a document: ``{ __schema { types { name } } }`` is 2 deep.
    """

    class IntrospectionDepth(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments = {
                definition.name.value: definition
                for definition in context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.name.value not in META_FIELDS:
                return
            if _deeper_than(node.selection_set, max_depth - 1, self.fragments):
                self.report_error(
                    GraphQLError(
                        f"Introspection deeper than {max_depth} levels is refused.",
                        node,
                        extensions={"code": "TOO_DEEP"},
                    )
                )

    return IntrospectionDepth


def _deeper_than(
    selection_set: SelectionSetNode | None,
    budget: int,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> bool:
    """Whether the selection nests more fields-with-selections than ``budget``. Stops once it knows."""
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.selection_set is not None:
            if budget <= 0 or _deeper_than(selection.selection_set, budget - 1, fragments, seen):
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _deeper_than(selection.selection_set, budget, fragments, seen):
                return True
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _deeper_than(
                fragment.selection_set, budget, fragments, seen | {selection.name.value}
            ):
                return True
    return False


def may_introspect(rule: IntrospectionRule, principal: Principal) -> bool:
    """Whether this caller may run introspection under the configured rule."""
    if rule == "everyone":
        return True
    return rule == "authenticated" and principal.is_authenticated


class _NoIntrospection(ASTValidationRule):
    """Refuses ``__schema`` and ``__type`` (``__typename`` stays: clients need it for unions)."""

    message = "Introspection is not open to this caller."
    code = "FORBIDDEN"

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value in META_FIELDS:
            self.report_error(GraphQLError(self.message, node, extensions={"code": self.code}))


class _SignInToIntrospect(_NoIntrospection):
    message = "Introspection needs a signed-in caller: send Authorization: Bearer <token>."
    code = "UNAUTHENTICATED"


class IntrospectionAccess(SchemaExtension):
    """Adds the refusing rule to this operation's validation when the caller may not introspect."""

    def __init__(self, rule: IntrospectionRule) -> None:
        self.rule = rule

    def on_operation(self) -> Iterator[None]:
        principal = getattr(self.execution_context.context, "principal", None)
        if not isinstance(principal, Principal) or not may_introspect(self.rule, principal):
            refusal = _SignInToIntrospect if self.rule == "authenticated" else _NoIntrospection
            self.execution_context.validation_rules = (*self.execution_context.validation_rules, refusal)
        yield
