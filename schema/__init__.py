"""The GraphQL schema (contract.graphql) with the hardening of LESSONS.md: depth, alias and token
limits, parser and validation caches, error shaping; introspection off in production."""

from collections.abc import Iterator
from functools import partial

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.tools import merge_types

from downline.schema.book import Client, Lead
from downline.schema.errors import shape_all, shaped_stream
from downline.schema.hierarchy import Agency, Agent
from downline.schema.mutation import Mutation
from downline.schema.production import Policy, ProductionQuery
from downline.schema.query import Query
from downline.schema.reports import CarrierReport, ReportMutation, ReportQuery, ReportSubscription

QueryRoot = merge_types("Query", (Query, ProductionQuery, ReportQuery))
MutationRoot = merge_types("Mutation", (Mutation, ReportMutation))
SubscriptionRoot = merge_types("Subscription", (ReportSubscription,))

MAX_DEPTH = 10
MAX_ALIASES = 100
MAX_TOKENS = 5000


class FreshLoaders(SchemaExtension):
    """DataLoaders per operation: on a WebSocket the context lives as long as the connection."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if hasattr(context, "fresh_loaders"):
            context.fresh_loaders()
        yield


class DownlineSchema(strawberry.Schema):
    """Shapes the errors of every result (schema/errors.py): queries and mutations over HTTP,
    and every operation over a WebSocket."""

    async def execute(self, *args, **kwargs):
        result = await super().execute(*args, **kwargs)
        shape_all(result)
        return result

    async def stream(self, *args, **kwargs):
        result = await super().stream(*args, **kwargs)
        if hasattr(result, "__aiter__"):
            return shaped_stream(result)
        shape_all(result)
        return result

    def process_errors(self, errors, execution_context=None) -> None:
        """ShapeErrors logs what deserves it (internal errors, with their reference); a user's
        mistake is answered, not logged as a stack trace."""


def make_schema(*, production: bool = False, extra_extensions=()) -> strawberry.Schema:
    """`extra_extensions`: the server's own (metrics), which the schema must not import."""
    extensions = [
        *extra_extensions,
        # Factories, not instances: a fresh extension per request (the caches live at module level).
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(ParserCache, maxsize=256),
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(ValidationCache, maxsize=256),
        FreshLoaders,
    ]
    if production:
        extensions.append(DisableIntrospection)
    return DownlineSchema(
        query=QueryRoot,
        mutation=MutationRoot,
        subscription=SubscriptionRoot,
        types=[Agency, Agent, Client, Lead, Policy, CarrierReport],
        extensions=extensions,
    )


schema = make_schema()
