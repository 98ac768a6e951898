"""The cost of an operation: the most objects it may ask for (DOWNLINE_MAX_QUERY_COST).

A field of object type costs 1 plus the costs of what it selects, times the items it may return:
- a field with a `first` argument (a connection, a report's errors): its `first`, from the
  literal, the variable's value (or the variable's default) or the argument's default; an
  explicit null means the default page, as core/book/paging.py reads it;
- the list directly inside such a field (a connection's `edges`): 1, the page is counted already;
- any other list (an agency's `subAgencies`): DEFAULT_PAGE, the page a list is assumed to fill;
- anything else: 1.
Scalars and enums cost nothing, lists of them too; so do the introspection fields, which the
schema sizes and not the caller (and which production turns off).

Aliases, fragments and inline fragments all count where they stand. A fragment's cost is worked
out once per way it can be spread (memo), so fragments spread into one another many times over
cost the count itself no more than the document's length.

It is worked out on a valid document only: every field is known and no fragment spreads itself.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_leaf_type,
    is_list_type,
    value_from_ast,
)
from strawberry.types import ExecutionContext

from downline.core.book.paging import DEFAULT_PAGE
from downline.core.errors import BadUserInput


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    root = schema.get_root_type(operation.operation)
    return _Count(schema, operation, fragments, variables).selections(
        operation.selection_set, root, paged=False
    )


class _Count:
    def __init__(self, schema, operation, fragments, variables) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = dict(_variable_defaults(operation)) | dict(variables)
        self.fragment_costs: dict[tuple[str, bool], int] = {}

    def selections(self, selection_set: SelectionSetNode, parent, paged: bool) -> int:
        """`paged`: the selection is that of a field with `first`, whose lists are its page."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, paged)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, paged)
            else:  # an inline fragment, on its own type or on the parent's
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, on, paged)
        return total

    def fragment(self, name: str, paged: bool) -> int:
        key = (name, paged)
        if key not in self.fragment_costs:
            fragment = self.fragments[name]
            on = self.schema.get_type(fragment.type_condition.name.value)
            self.fragment_costs[key] = self.selections(fragment.selection_set, on, paged)
        return self.fragment_costs[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, paged: bool) -> int:
        # Introspection (__schema, __type, __typename) is not among a type's fields.
        definition = getattr(parent, "fields", {}).get(node.name.value)
        if definition is None or is_leaf_type(get_named_type(definition.type)):
            return 0
        first = self.first(node, definition) if "first" in definition.args else None
        if first is not None:
            items = first
        elif is_list_type(get_nullable_type(definition.type)):
            items = 1 if paged else DEFAULT_PAGE
        else:
            items = 1
        children = self.selections(
            node.selection_set, get_named_type(definition.type), paged=first is not None
        )
        return items * (1 + children)

    def first(self, node: FieldNode, definition) -> int:
        argument = next((a for a in node.arguments or () if a.name.value == "first"), None)
        value = Undefined
        if argument is not None and isinstance(argument.value, VariableNode):
            value = self.variables.get(argument.value.name.value, Undefined)
        elif argument is not None:
            value = value_from_ast(argument.value, GraphQLInt)
        if value is Undefined:  # not given: the argument's own default
            value = definition.args["first"].default_value
        return _count(value)


def _variable_defaults(operation: OperationDefinitionNode) -> Iterator[tuple[str, Any]]:
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            default = value_from_ast(definition.default_value, GraphQLInt)
            yield definition.variable.name.value, default


def _count(value: Any) -> int:
    """A `first` as a number of items. Anything but a whole number (null, no default, a value
    that execution will refuse) is the default page."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return max(value, 0)
    return DEFAULT_PAGE


def refuse_costly(context: ExecutionContext, max_cost: int) -> None:
    """Refuses an operation that asks for more than `max_cost` objects before it runs: no
    resolver is called, no SQL sent. Checked before execution rather than as a validation rule,
    because the cost depends on the variables and the validation cache knows only the
    document."""
    document = context.graphql_document
    # Several operations and none named: the document is refused before (schema/extensions.py).
    operation = get_operation_ast(document, context.operation_name) if document else None
    if operation is None:
        return
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    cost = operation_cost(context.schema._schema, operation, fragments, context.variables or {})
    if cost > max_cost:
        raise BadUserInput(
            f"this operation asks for up to {cost:,} objects; the limit is "
            f"{max_cost:,}: ask for smaller pages (first) or fewer nested lists"
        )
