"""What every operation passes before it runs (`Limits`; `Guards`, the one extension holding it).

- A document of at most MAX_TOKENS tokens; depth and alias limits (OWASP's GraphQL cheat sheet),
  their validation rules built once; no introspection in production.
- Fresh DataLoaders per operation (a WebSocket's context lives as long as the connection).
- A mutation's database work in one transaction, a query's reads in autocommit.
- A document of several operations must name the one to run.
- What no argument may carry:
  - the NUL character (U+0000). No stored text holds one, and PostgreSQL refuses it in any text
    parameter, so a NUL that reached SQL was an internal error there (and a silent mismatch on
    SQLite). (A cursor's decoded values are checked in core/book/paging.py.)
  - a list of more than MAX_LIST items in a variable: each item becomes a bound parameter, and
    PostgreSQL takes at most 65,535 of them in a statement. (A literal list in the query text is
    kept far below that by the token limit.)
  Every string and list an operation brings, at any depth (filters, ids, export params), is
  checked before execution; an offence is BAD_USER_INPUT naming the input that carried it.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import BREAK, ArgumentNode, ObjectFieldNode, OperationDefinitionNode, Visitor, visit
from graphql.language import VariableDefinitionNode
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions import max_aliases as alias_limit
from strawberry.extensions import query_depth_limiter as depth_limit
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from downline.core.errors import BadUserInput
from downline.schema.context import request_unit
from downline.schema.cost import refuse_costly

NUL = "\x00"
MAX_LIST = 1000


def _nul(name: str) -> str:
    return f"{name} may not contain the NUL character (U+0000)"


def _offence(value: Any, name: str) -> tuple[str, str] | None:
    """(the innermost input field at fault, why) for `value`, whose own name is `name`."""
    if isinstance(value, str):
        return (name, _nul(name)) if NUL in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if NUL in str(key):
                return name, _nul(name)
            if found := _offence(item, str(key)):
                return found
    elif isinstance(value, list | tuple):
        if len(value) > MAX_LIST:
            return name, f"{name} may hold at most {MAX_LIST} items (it has {len(value)})"
        for item in value:
            if found := _offence(item, name):
                return found
    return None


def _may_hold_nul(query: str | None) -> bool:
    """A cheap look at the text first: walking the document costs every operation time, and a
    literal NUL can only come as the character itself or as a unicode escape (\\u0000,
    \\u{0})."""
    return query is not None and (NUL in query or "\\u" in query)


def _input_name(parent, ancestors) -> str | None:
    """The argument or input field a value stands in; None for a variable's own definition."""
    for node in (parent, *reversed(ancestors)):
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            return node.name.value
        if isinstance(node, VariableDefinitionNode):
            return None
    return None


class _FindOffence(Visitor):
    def __init__(self, variables: Mapping[str, Any]) -> None:
        super().__init__()
        self.variables = variables
        self.found: tuple[str, str] | None = None

    def enter_string_value(self, node, _key, parent, _path, ancestors):
        if NUL in node.value:
            name = _input_name(parent, ancestors) or "query"
            self.found = name, _nul(name)
            return BREAK
        return None

    def enter_variable(self, node, _key, parent, _path, ancestors):
        name = _input_name(parent, ancestors)
        if name is not None:
            self.found = _offence(self.variables.get(node.name.value), name)
            if self.found:
                return BREAK
        return None


def refuse_bad_input(context: ExecutionContext) -> None:
    """Raised here, the refusal is shaped like any user error (schema/errors.py), over HTTP and
    WebSocket alike, and nothing of the operation runs."""
    document = context.graphql_document
    variables = context.variables or {}
    if document is not None and (_may_hold_nul(context.query) or _offence(variables, "variables")):
        finder = _FindOffence(variables)
        visit(document, finder)
        if finder.found:
            field, message = finder.found
            raise BadUserInput(message, field=field)


def refuse_unnamed_choice(context: ExecutionContext) -> None:
    """A document of several operations must name the one to run (the GraphQL spec's
    GetOperation); strawberry would quietly run the first. Its `operation_name` falls back to
    the first operation's name, so the name as the request gave it is read instead (a test in
    tests/schema/test_bad_input.py fails if strawberry renames it)."""
    document = context.graphql_document
    if document is not None and context._provided_operation_name is None:
        count = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
        if count > 1:
            raise BadUserInput(
                f"the document holds {count} operations: name the one to run in operationName",
                field="operationName",
            )


MAX_DEPTH = 10
MAX_ALIASES = 100
MAX_TOKENS = 5000


# The limits' validation rules are built once: a rule class made per request would be a new
# validation-cache key every time, and every request would be validated anew.
DEPTH_RULE = depth_limit.create_validator(MAX_DEPTH, None, None)
ALIAS_RULE = alias_limit.create_validator(MAX_ALIASES)


class Limits:
    """What every operation passes, as plain calls (`Guards` makes them an extension, and
    schema/operation.py calls them where strawberry's pipeline would):

    - `prepare`, before parsing: at most MAX_TOKENS tokens; depth and alias limits (OWASP's
      GraphQL cheat sheet) and no introspection in production, at validation; fresh
      DataLoaders per operation (a WebSocket's context lives as long as the connection);
    - `check`, before execution, in this order: the input (`refuse_bad_input`), the operation
      named (`refuse_unnamed_choice`), its cost (schema/cost.py); then a mutation's database
      work is made one transaction, a query's reads run in autocommit (the request's Unit,
      schema/context.py), told before the first resolver runs."""

    def __init__(self, max_cost: int, production: bool) -> None:
        self.max_cost = max_cost
        self.rules = (DEPTH_RULE, ALIAS_RULE)
        if production:
            self.rules += (NoSchemaIntrospectionCustomRule,)

    def prepare(self, context: ExecutionContext) -> None:
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = context.validation_rules + self.rules
        if hasattr(context.context, "fresh_loaders"):
            context.context.fresh_loaders()

    def check(self, context: ExecutionContext) -> None:
        refuse_bad_input(context)
        refuse_unnamed_choice(context)
        refuse_costly(context, self.max_cost)
        unit = request_unit.get()
        if unit is not None and context.operation_type is OperationType.MUTATION:
            unit.for_writes()


class Guards(SchemaExtension):
    """`Limits` as one extension, for strawberry's own pipeline (subscriptions, streams over
    a WebSocket, and every operation when tracing adds its extension): strawberry sets up each
    extension's hooks for every operation, and the eight this replaced cost a `viewer` query a
    tenth of its CPU."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        self.limits.prepare(self.execution_context)
        yield

    def on_execute(self) -> Iterator[None]:
        self.limits.check(self.execution_context)
        yield
