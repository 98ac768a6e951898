"""The items of a list filled in one loop per object (schema/execution.py's shortest path).

A page's rows are all alike: the same selection, on objects of the same classes. When every field
a list's items select, at every depth, is plain (schema/plans.py: read from an attribute, no
resolver, no arguments), the selection is worked out once into a `Shape`, and `fill` makes each
item's answer from its attributes with no resolve info, paths or per-field dispatch: a page of 500
clients with their agents spent most of its CPU completing fields one by one.

`fill` answers only what graphql-core would answer without an error or a resolver call: a leaf
of its scalar's own output type or one its scalar coerces, a null where the field is nullable, an
object of its type's own class. Anything else (a null object field, which a read-ahead field's
resolver fills; a value of another class; a value that raises) is `Irregular`, and the list is
completed field by field instead, where it gets the answer or the error it always did.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import GraphQLNonNull, GraphQLObjectType, Undefined
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from downline.schema.plans import Plain


class Irregular(Exception):
    """An item `fill` does not answer: the list takes the field-by-field path."""


class Slot(NamedTuple):
    """One field of a shape: read `attribute`, then a leaf's value (`same`: a value of this
    type is its own output, else `leaf` coerces it) or an object's (`child`, of `own_class`)."""

    name: str
    attribute: str
    same: type | None
    leaf: Any
    child: tuple["Slot", ...] | None
    own_class: type | None
    nullable: bool


Shape = tuple[Slot, ...]


def shape_of(
    parent_type: GraphQLObjectType,
    fields: list,
    subfields: Callable[[GraphQLObjectType, Any], list | None],
) -> Shape | None:
    """The shape of `fields` (response name, field details, plan) of `parent_type`, or None if
    any field, at any depth, is not plain, is a list, or is an object without a class of its own
    (`subfields(object_type, details)`: the planned fields an object selects)."""
    slots = []
    for response_name, details, how in fields:
        if type(how) is not Plain or how.items is not None:
            return None
        field_type = parent_type.fields[details[0].node.name.value].type
        nullable = not isinstance(field_type, GraphQLNonNull)
        if how.leaf is not None:
            slot = Slot(response_name, how.attribute, how.same, how.leaf, None, None, nullable)
            slots.append(slot)
            continue
        if how.own_class is None:
            return None
        child_fields = subfields(how.object_type, details)
        child = None if child_fields is None else shape_of(how.object_type, child_fields, subfields)
        if child is None:
            return None
        slots.append(Slot(response_name, how.attribute, None, None, child, how.own_class, nullable))
    return tuple(slots)


def fill(shape: Shape, value: Any) -> dict[str, Any]:
    """The answer for `value`, an instance of the shape's own class; raises Irregular (or
    whatever reading an attribute raised) for anything graphql-core's path must answer."""
    answer = {}
    for name, attribute, same, leaf, child, own_class, nullable in shape:
        found = getattr(value, attribute)
        if type(found) is same:
            answer[name] = found
        elif found is None:
            # A null object may be a read-ahead field's to resolve: never answered here.
            if not nullable or child is not None:
                raise Irregular
            answer[name] = None
        elif child is not None:
            if type(found) is not own_class or TYPE_CAST_ATTRIBUTE in found.__dict__:
                raise Irregular
            answer[name] = fill(child, found)
        else:
            if isinstance(found, Exception):
                raise Irregular
            coerced = leaf.coerce_output_value(found)
            if coerced is None or coerced is Undefined:
                raise Irregular
            answer[name] = coerced
    return answer
