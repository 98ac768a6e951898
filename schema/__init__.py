"""The GraphQL schema: each domain module owns its Query, Mutation and Subscription fields, merged
here into the roots, with the hardening every operation passes (schema/extensions.py: depth,
alias, token and cost limits), parser and validation caches (a large document parsed and
validated off the event loop, schema/parsing.py), error shaping, and introspection off in
production."""

from functools import partial

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types
from strawberry.types.graphql import OperationType

from downline.core.config import Settings
from downline.schema.book import BookQuery, Client, Lead
from downline.schema.errors import shape_all, shaped_stream
from downline.schema.execution import Execution
from downline.schema.exports import (
    AuditEvent,
    Export,
    ExportMutation,
    ExportQuery,
    ExportSubscription,
)
from downline.schema.extensions import Guards, Limits
from downline.schema.hierarchy import Agency, Agent, HierarchyMutation, HierarchyQuery
from downline.schema.nodes import NodeQuery
from downline.schema.operation import Plain
from downline.schema.parsing import ParseAndValidate, ParseAndValidateSync
from downline.schema.production import Policy, ProductionQuery
from downline.schema.reconciliation import ReconciliationQuery
from downline.schema.reports import CarrierReport, ReportMutation, ReportQuery, ReportSubscription

# The order of the classes is the order of the fields in the SDL (schema.graphql).
QueryRoot = merge_types(
    "Query",
    (
        NodeQuery,
        HierarchyQuery,
        BookQuery,
        ProductionQuery,
        ReconciliationQuery,
        ReportQuery,
        ExportQuery,
    ),
)
MutationRoot = merge_types("Mutation", (HierarchyMutation, ExportMutation, ReportMutation))
SubscriptionRoot = merge_types("Subscription", (ExportSubscription, ReportSubscription))

MAX_COST = Settings.model_fields["max_query_cost"].default  # unless DOWNLINE_MAX_QUERY_COST says


class DownlineSchema(strawberry.Schema):
    """Shapes the errors of every result (schema/errors.py): queries and mutations over HTTP,
    and every operation over a WebSocket."""

    hide_suggestions = False  # production: no "Did you mean …?" hints
    plain: Plain | None = None  # how `execute` runs an operation without strawberry's pipeline

    async def execute(
        self,
        query: str | None,
        variable_values: dict | None = None,
        context_value=None,
        root_value=None,
        operation_name: str | None = None,
        allowed_operation_types=None,
        operation_extensions: dict | None = None,
    ):
        """One answer, never a subscription's stream: that is `stream` (HTTP) or `subscribe`
        (WebSocket). strawberry would run a subscription here as if it were a query, and its
        field fail with an internal error; it is refused as of an operation type not allowed.
        Run plainly (schema/operation.py) unless an extension needs strawberry's pipeline."""
        allowed = set(allowed_operation_types or OperationType) - {OperationType.SUBSCRIPTION}
        if self.plain is not None:
            result = await self.plain.run(
                self,
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed,
                operation_extensions,
            )
        else:
            result = await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types=allowed,
                operation_extensions=operation_extensions,
            )
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
    limits = Limits(max_cost, production)
    extensions = [
        *extra_extensions,
        # Factories, not instances: a fresh extension per request (the caches live at module level).
        ParseAndValidate,
        partial(Guards, limits),
    ]
    schema = DownlineSchema(
        execution_context_class=Execution,
        query=QueryRoot,
        mutation=MutationRoot,
        subscription=SubscriptionRoot,
        types=[Agency, Agent, Client, Lead, Policy, CarrierReport, Export, AuditEvent],
        extensions=extensions,
    )
    schema.hide_suggestions = production
    schema.plain = Plain.of(limits, extra_extensions)
    return schema


schema = make_schema()
