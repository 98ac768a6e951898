"""The GraphQL inputs of the list filters, derived from their declarations
(core/book/filters.py): an input field per declared field, named by the API's spelling of its
name, nullable (null means its declared default), with its declared default and GraphQL
description; `to_core()` turns an input into the filter the list query takes."""

import typing
from collections.abc import Callable
from typing import Any

import strawberry

from downline.core.book import filters


def filter_input(declaration: type) -> type:
    """The strawberry input for a list filter, named as its declaration (ClientFilter). An enum a
    field takes must already be a GraphQL enum (strawberry.enum), as for any other field."""
    declared = filters.fields(declaration)
    namespace = {
        "__module__": __name__,
        "__annotations__": {f.name: _graphql(f.type) | None for f in declared},
        **{
            f.name: strawberry.field(name=f.api_name, default=f.default, description=f.doc)
            for f in declared
        },
        "to_core": _to_core(declaration, declared),
    }
    name = declaration.__name__
    return strawberry.input(type(f"{name}Input", (), namespace), name=name)


def _graphql(python_type: Any) -> Any:
    """The type strawberry reads for a declared Python type: core's ID is GraphQL's."""
    if typing.get_origin(python_type) is list:
        return list[_graphql(typing.get_args(python_type)[0])]
    return strawberry.ID if python_type is filters.ID else python_type


def _to_core(declaration: type, declared: tuple[filters.FilterField, ...]) -> Callable:
    def to_core(self):
        """The filter the list query takes: a field left out or null takes its default."""
        values = {}
        for f in declared:
            value = getattr(self, f.name)
            values[f.name] = f.default if value is None else value
        return declaration(**values)

    return to_core
