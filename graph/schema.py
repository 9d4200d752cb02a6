"""The one GraphQL schema: every context's Query and Mutation merged, the live Subscription, a Federation v2
subgraph."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.tools import merge_types
from strawberry.types import Info

from domain.errors import DomainError
from graph.automation import schema as automation
from graph.billing import schema as billing
from graph.campaigns import schema as campaigns
from graph.core.documents import DocumentCache
from graph.core.entities import checked_representations
from graph.core.guard import TextGuard
from graph.core.scalars import SCALARS
from graph.coupons import schema as coupons
from graph.customers import schema as customers
from graph.events import schema as events
from graph.imports import schema as imports
from graph.incentives import schema as incentives
from graph.introspection import IntrospectionAccess, IntrospectionRule, introspection_depth_rule
from graph.live import schema as live
from graph.live.transport import SubscriptionsOverWebsocket
from graph.messaging import schema as messaging
from graph.payments import schema as payments
from graph.segments import schema as segments
from graph.sms import schema as sms
from graph.tenancy import schema as tenancy

logger = logging.getLogger("revisit.graphql")

Query = merge_types(
    "Query",
    (
        tenancy.Query,
        customers.Query,
        events.Query,
        automation.Query,
        incentives.Query,
        coupons.Query,
        messaging.Query,
        segments.Query,
        sms.Query,
        billing.Query,
        payments.Query,
        campaigns.Query,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        tenancy.Mutation,
        events.Mutation,
        automation.Mutation,
        incentives.Mutation,
        imports.Mutation,
        segments.Mutation,
        coupons.Mutation,
        messaging.Mutation,
        sms.Mutation,
        billing.Mutation,
        payments.Mutation,
        campaigns.Mutation,
    ),
)


def _is_unexpected(error: GraphQLError) -> bool:
    """Domain errors and GraphQL's own (validation, permissions, an operation type the transport does not
    run) reach the client; anything else is masked."""
    original = error.original_error
    return original is not None and not isinstance(
        original, DomainError | GraphQLError | InvalidOperationTypeError
    )


class RevisitMaskErrors(MaskErrors):
    """Masks unexpected errors for clients, after logging them in full."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._log_and_mask, error_message="Internal error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """The masked error still says what it is and which request it was, so a client can report it."""
        masked = super().anonymise_error(error)
        context = self.execution_context.context
        masked.extensions = {"code": "INTERNAL", "requestId": getattr(context, "request_id", None)}
        return masked

    @staticmethod
    def _log_and_mask(error: GraphQLError) -> bool:
        if _is_unexpected(error):
            logger.error("unexpected error in %s", error.path, exc_info=error.original_error)
            return True
        if isinstance(error.original_error, DomainError) and error.extensions is not None:
            error.extensions.setdefault("code", error.original_error.code)
        return False


class RevisitSchema(strawberry.federation.Schema):
    documents: DocumentCache  # what this schema remembers of the documents it was sent

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Client errors are the client's business; unexpected ones were logged when they were masked."""

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[Any]:
        """Federation's entity lookup, once every representation names one of our entities by id."""
        entity_types = {member.name for member in self._schema.get_type("_Entity").types}  # type: ignore[union-attr]
        return super().entities_resolver(info, checked_representations(representations, entity_types))  # type: ignore[arg-type]


def build_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 4000,
    introspection: IntrospectionRule = "authenticated",
    max_introspection_depth: int = 15,
) -> RevisitSchema:
    """The schema with its protective limits; introspection is bounded too and open per ``introspection``.

    The limits' validation rules are made once, here, not per request: the rules are part of the key under
    which :class:`DocumentCache` remembers a document's validation, so each request must bring the same.
    """
    rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
        introspection_depth_rule(max_introspection_depth),
    ]
    documents = DocumentCache()
    schema = RevisitSchema(
        query=Query,
        mutation=Mutation,
        subscription=live.Subscription,
        federation_version="2.11",
        config=StrawberryConfig(scalar_map=SCALARS),
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: AddValidationRules(rules),
            lambda: IntrospectionAccess(introspection),
            documents.extension,
            TextGuard,
            SubscriptionsOverWebsocket,
            RevisitMaskErrors,
        ],
    )
    schema.documents = documents
    return schema
