"""How each field of an object type is executed (schema/execution.py runs the plans): a plain
field read from an attribute, a resolver called directly, or graphql-core's own path; worked out
once per field of a schema's type.

A field declared `strawberry.field(metadata=read_ahead("read_agent"))` is read as a plain field
of that attribute while it holds a value (a page's rows carry their agents).
"""

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    is_leaf_type,
    is_object_type,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

READ_AHEAD = "downline.read_ahead"


def read_ahead(attribute: str) -> dict[str, str]:
    """A field's metadata (`strawberry.field(metadata=read_ahead("read_agent"))`): while the
    source's `attribute` is not None, it is the field's value, and its resolver is not called."""
    return {READ_AHEAD: attribute}


@dataclass(frozen=True)
class Plain:
    """A field read from an attribute: complete a leaf, an object, or a list of non-null
    objects (`items`)."""

    attribute: str
    leaf: GraphQLLeafType | None
    object_type: GraphQLObjectType | None
    items: GraphQLObjectType | None = None
    own_class: type | None = None  # of the object or the items (_own_class)
    same: type | None = None  # a leaf's values of this exact type are their own output (_SAME)
    return_type: GraphQLOutputType | None = None  # an object's or the items' field's


# The standard scalars whose coercion returns a value of this exact type unchanged (graphql-core's
# serialize_string, serialize_id, serialize_boolean): most of a page's leaves are strings.
_SAME = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}


@dataclass(frozen=True)
class Call:
    """A synchronous resolver without arguments or extensions, called as strawberry calls it."""

    field_def: GraphQLField
    field: StrawberryField
    pass_self: bool  # its first parameter is `self`: the source
    source_names: tuple[str, ...]  # its `root` or `parent` parameter: the source
    info_name: str | None  # its `info` parameter
    object_type: GraphQLObjectType | None  # an object type it returns, completed directly
    own_class: type | None = None  # of that object type's instances (_own_class)


Plan = Plain | Call | None  # None: graphql-core's own path

# By parent type (weakly: a test suite builds many schemas), then field name.
_plans: WeakKeyDictionary[GraphQLObjectType, dict[str, Plan]] = WeakKeyDictionary()


def planned(parent_type: GraphQLObjectType, field_name: str, plain_schema: bool) -> Plan:
    """`plan`, worked out once per field of a type."""
    plans = _plans.get(parent_type)
    if plans is None:
        plans = _plans[parent_type] = {}
    how = plans.get(field_name, False)
    if how is False:
        how = plans[field_name] = plan(parent_type, field_name, plain_schema)
    return how


def plan(parent_type: GraphQLObjectType, field_name: str, plain_schema: bool) -> Plan:
    """How `field_name` of `parent_type` is executed; `plain_schema`: strawberry resolves with
    its default resolver (getattr) and the schema has no exception handlers."""
    field_def = parent_type.fields.get(field_name)
    if field_def is None or field_def.args or not plain_schema:
        return None
    field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(field, StrawberryField) or field.extensions:
        return None
    if type(field).get_result is not StrawberryField.get_result:
        return None  # a field class of its own: it resolves its own way
    named = _nullable(field_def.type)
    object_type = named if is_object_type(named) and _plain_type_check(named) else None
    resolver = field.base_resolver
    if resolver is None:
        if not getattr(field_def.resolve, "_is_default", False):
            return None
        if is_leaf_type(named):
            return Plain(field.python_name, named, None, same=_SAME.get(named))
        if object_type is not None:
            own = _own_class(object_type)
            return Plain(field.python_name, None, object_type, None, own, None, field_def.type)
        items = _non_null_objects(named)
        if items is None:
            return None
        return Plain(field.python_name, None, None, items, _own_class(items), None, field_def.type)
    ahead = field.metadata.get(READ_AHEAD)
    if ahead is not None and object_type is not None:
        own = _own_class(object_type)
        return Plain(ahead, None, object_type, None, own, None, field_def.type)
    if field.is_async or field.arguments:
        return None
    sources = tuple(p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p)
    info = resolver.info_parameter and resolver.info_parameter.name
    own = _own_class(object_type)
    return Call(
        field_def, field, resolver.self_parameter is not None, sources, info, object_type, own
    )


def _nullable(graphql_type):
    return graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type


def _non_null_objects(graphql_type) -> GraphQLObjectType | None:
    """The item type of a list of non-null objects (an item's error then nulls the list, as in
    graphql-core: execution's loop over the items raises it for the whole field)."""
    if not isinstance(graphql_type, GraphQLList) or not isinstance(
        graphql_type.of_type, GraphQLNonNull
    ):
        return None
    item = graphql_type.of_type.of_type
    return item if is_object_type(item) and _plain_type_check(item) else None


def _plain_type_check(object_type: GraphQLObjectType) -> bool:
    """No `is_type_of`, or strawberry's own (an isinstance check that reads no resolve info:
    the plain path has none to give it)."""
    check = object_type.is_type_of
    return check is None or "_get_is_type_of" in getattr(check, "__qualname__", "")


def _own_class(object_type: GraphQLObjectType | None) -> type | None:
    """The class whose instances (not cast to another type) strawberry's type check always
    finds of `object_type` (three times a page row): the check is skipped for them. None for no
    type, a generic type's specialisation, or a class without an instance __dict__ to look in."""
    if object_type is None:
        return None
    definition = object_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None or definition.concrete_of is not None:
        return None
    cls = definition.origin
    return None if hasattr(cls, "__slots__") else cls
