"""An operation run without strawberry's extension runner (`Plain.run`, for `Schema.execute`).

strawberry's `Schema.execute` builds, for every operation, a runner and a context manager per hook
of every extension, each asked whether it implements its hook: about as much CPU as a `viewer`
query's own execution. Here the same steps run as plain calls, in strawberry's order: the limits
(schema/extensions.py's `Limits`), parsing and validation (schema/parsing.py's caches), the
checks before execution, then graphql-core's execution with the schema's executor. The answer is
strawberry's, error for error: a document that does not parse or validate, or an operation
refused before it runs, is an answer without data; no query, an operation that cannot be told,
or one of a type not allowed raises as strawberry raises it (the HTTP view answers 400).

Extensions that implement `on_operation` alone (the server's metrics) run around it, for every
operation answered, refused ones too. A schema with any other extension (tracing's, which times
every step) keeps strawberry's pipeline: `Plain.of` is None for it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, execute
from strawberry.exceptions import MissingQueryError
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from downline.schema.extensions import Limits
from downline.schema.parsing import parse_document, validate

RAISED = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)
# The hooks an extension run around a plain operation may not implement.
STEPS = ("on_parse", "on_validate", "on_execute", "resolve", "get_results")


def _around_only(extension: Any) -> bool:
    return (
        isinstance(extension, type)
        and issubclass(extension, SchemaExtension)
        and all(getattr(extension, step) is getattr(SchemaExtension, step) for step in STEPS)
    )


@dataclass(frozen=True)
class Plain:
    limits: Limits
    around: tuple[type[SchemaExtension], ...]  # each implements on_operation alone

    @classmethod
    def of(cls, limits: Limits, extensions: Sequence[Any]) -> "Plain | None":
        """The plain run for a schema with `extensions` beside its own; None when one of them
        needs strawberry's pipeline."""
        if all(_around_only(extension) for extension in extensions):
            return cls(limits, tuple(extensions))
        return None

    async def run(
        self,
        schema: Any,
        query: str | None,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        root_value: Any,
        operation_name: str | None,
        allowed: Iterable[OperationType],
        operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        context = schema._create_execution_context(
            query=query,
            allowed_operation_types=allowed,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
        )
        hooks = []
        for extension_class in self.around:
            extension = extension_class()
            extension.execution_context = context
            hook = extension.on_operation()
            next(hook)
            hooks.append(hook)
        try:
            context.result = await self._answer(schema, context)
        except RAISED:
            for hook in hooks:
                hook.close()  # no operation to speak of: the view answers 400
            raise
        except Exception as error:  # noqa: BLE001 - strawberry answers it as an error
            context.result = _refused(_graphql_error(error))
        # Every operation answered ends its extensions' hooks, refused ones too (strawberry's
        # pipeline closes them unfinished when a step raises: a refusal went uncounted).
        for hook in reversed(hooks):
            next(hook, None)
        return context.result

    async def _answer(self, schema: Any, context: ExecutionContext) -> ExecutionResult:
        self.limits.prepare(context)
        if not context.query:
            raise MissingQueryError
        await parse_document(context)
        try:
            operation_type = context.operation_type
        except RuntimeError as error:
            raise CannotGetOperationTypeError(context.operation_name) from error
        if operation_type not in context.allowed_operations:
            raise InvalidOperationTypeError(operation_type)
        await validate(context)
        if context.pre_execution_errors:
            return _refused(*context.pre_execution_errors)
        self.limits.check(context)
        result = await await_maybe(
            execute(
                schema._schema,
                context.graphql_document,
                root_value=context.root_value,
                variable_values=context.variables,
                operation_name=context.operation_name,
                context_value=context.context,
                is_awaitable=optimized_is_awaitable,
                executor_class=schema.execution_context_class,
                operation_extensions=context.operation_extensions,
            )
        )
        return ExecutionResult(data=result.data, errors=result.errors, extensions={})


def _refused(*errors: GraphQLError) -> ExecutionResult:
    return ExecutionResult(data=None, errors=list(errors), extensions={})


def _graphql_error(error: Exception) -> GraphQLError:
    if isinstance(error, GraphQLError):
        return error
    return GraphQLError(str(error), original_error=error)
