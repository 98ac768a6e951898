"""What no argument may carry.

- The NUL character (U+0000). No stored text holds one, and PostgreSQL refuses it in any text
  parameter, so a NUL that reached SQL was an internal error there (and a silent mismatch on
  SQLite). (A cursor's decoded values are checked in core/paging.py.)
- A list of more than MAX_LIST items in a variable: each item becomes a bound parameter, and
  PostgreSQL takes at most 65,535 of them in a statement. (A literal list in the query text is
  kept far below that by the token limit.)

Every string and list an operation brings, at any depth (filters, ids, export params), is checked
before execution; an offence is BAD_USER_INPUT naming the input that carried it.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import BREAK, ArgumentNode, ObjectFieldNode, Visitor, visit
from graphql.language import VariableDefinitionNode
from strawberry.extensions import SchemaExtension

from downline.core.errors import BadUserInput

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


class RefuseBadInput(SchemaExtension):
    """Raised here, the refusal is shaped like any user error (schema/errors.py), over HTTP and
    WebSocket alike, and nothing of the operation runs."""

    def on_execute(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        variables = self.execution_context.variables or {}
        if document is not None and (
            _may_hold_nul(self.execution_context.query) or _offence(variables, "variables")
        ):
            finder = _FindOffence(variables)
            visit(document, finder)
            if finder.found:
                field, message = finder.found
                raise BadUserInput(message, field=field)
        yield
