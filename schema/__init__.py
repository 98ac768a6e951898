"""The GraphQL schema (contract.graphql) with the hardening of LESSONS.md: depth, alias, token and
cost limits, parser and validation caches (a large document parsed and validated off the event
loop), error shaping; introspection off in production."""

from collections.abc import Iterator
from functools import partial

import strawberry
from graphql import OperationDefinitionNode
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.extensions import max_aliases as alias_limit
from strawberry.extensions import query_depth_limiter as depth_limit
from strawberry.tools import merge_types

from downline.core.config import Settings
from downline.core.errors import BadUserInput
from downline.schema.book import Client, Lead
from downline.schema.cost import CostLimit
from downline.schema.errors import shape_all, shaped_stream
from downline.schema.exports import (
    AuditEvent,
    Export,
    ExportMutation,
    ExportQuery,
    ExportSubscription,
)
from downline.schema.hierarchy import Agency, Agent
from downline.schema.inputs import RefuseBadInput
from downline.schema.mutation import Mutation
from downline.schema.parsing import ParseAndValidate, ParseAndValidateSync
from downline.schema.production import Policy, ProductionQuery
from downline.schema.query import Query
from downline.schema.reports import CarrierReport, ReportMutation, ReportQuery, ReportSubscription

QueryRoot = merge_types("Query", (Query, ProductionQuery, ReportQuery, ExportQuery))
MutationRoot = merge_types("Mutation", (Mutation, ExportMutation, ReportMutation))
SubscriptionRoot = merge_types("Subscription", (ExportSubscription, ReportSubscription))

MAX_DEPTH = 10
MAX_ALIASES = 100
MAX_TOKENS = 5000
MAX_COST = Settings.model_fields["max_query_cost"].default  # unless DOWNLINE_MAX_QUERY_COST says


# The limits' validation rules are built once: a rule class made per request would be a new
# validation-cache key every time, and every request would be validated anew.
DEPTH_RULE = depth_limit.create_validator(MAX_DEPTH, None, None)
ALIAS_RULE = alias_limit.create_validator(MAX_ALIASES)


class Limits(AddValidationRules):
    """Depth and alias limits (OWASP's GraphQL cheat sheet)."""

    def __init__(self) -> None:
        super().__init__([DEPTH_RULE, ALIAS_RULE])


class FreshLoaders(SchemaExtension):
    """DataLoaders per operation: on a WebSocket the context lives as long as the connection."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if hasattr(context, "fresh_loaders"):
            context.fresh_loaders()
        yield


class NamedOperation(SchemaExtension):
    """A document of several operations must name the one to run (the GraphQL spec's
    GetOperation); strawberry would quietly run the first. Its `operation_name` falls back to
    the first operation's name, so the name as the request gave it is read instead (a test in
    tests/api/test_bad_input.py fails if strawberry renames it)."""

    def on_execute(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None and self.execution_context._provided_operation_name is None:
            count = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
            if count > 1:
                raise BadUserInput(
                    f"the document holds {count} operations: name the one to run in operationName",
                    field="operationName",
                )
        yield


class DownlineSchema(strawberry.Schema):
    """Shapes the errors of every result (schema/errors.py): queries and mutations over HTTP,
    and every operation over a WebSocket."""

    hide_suggestions = False  # production: no "Did you mean …?" hints

    async def execute(self, *args, **kwargs):
        result = await super().execute(*args, **kwargs)
        shape_all(result, self.hide_suggestions)
        return result

    async def stream(self, *args, **kwargs):
        result = await super().stream(*args, **kwargs)
        if hasattr(result, "__aiter__"):
            return shaped_stream(result, self.hide_suggestions)
        shape_all(result, self.hide_suggestions)
        return result

    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        """`execute_sync` cannot await a hook: it parses and validates where it is called."""
        extensions = super().get_extensions(sync)
        if sync:
            return [
                ParseAndValidateSync() if isinstance(e, ParseAndValidate) else e for e in extensions
            ]
        return extensions

    def process_errors(self, errors, execution_context=None) -> None:
        """ShapeErrors logs what deserves it (internal errors, with their reference); a user's
        mistake is answered, not logged as a stack trace."""


def make_schema(
    *, production: bool = False, max_cost: int = MAX_COST, extra_extensions=()
) -> strawberry.Schema:
    """`extra_extensions`: the server's own (metrics), which the schema must not import."""
    extensions = [
        *extra_extensions,
        # Factories, not instances: a fresh extension per request (the caches live at module level).
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        ParseAndValidate,
        Limits,
        RefuseBadInput,
        NamedOperation,
        partial(CostLimit, max_cost=max_cost),
        FreshLoaders,
    ]
    if production:
        extensions.append(DisableIntrospection)
    schema = DownlineSchema(
        query=QueryRoot,
        mutation=MutationRoot,
        subscription=SubscriptionRoot,
        types=[Agency, Agent, Client, Lead, Policy, CarrierReport, Export, AuditEvent],
        extensions=extensions,
    )
    schema.hide_suggestions = production
    return schema


schema = make_schema()
