"""Executing an operation: graphql-core's executor (as strawberry runs it), with shorter paths
for the fields a page is made of.

graphql-core resolves every field the same way: a resolve-info object, strawberry's resolver
wrapper (argument conversion, field extensions), then the completion of the value (non-null,
list, leaf or object). For a field without arguments most of that is overhead: a page of 500
clients with their agents spent 27 ms in execution alone, 6 us a field. Here:

- a plain field (no resolver of its own) is read as strawberry's default resolver reads it,
  `getattr(source, python_name)`; a scalar or enum value is coerced as graphql-core coerces it,
  an object value completed by graphql-core's own `complete_object_value`;
- a plain field holding a list of non-null objects has each item completed as above, in one
  loop (the edges of a page);
- a field whose synchronous resolver takes no arguments and has no field extensions (no
  permission classes) gets its resolve info as before, but its resolver is called directly,
  with `self`, `root`/`parent` and `info` passed as strawberry passes them, and its value is
  completed by graphql-core (an awaitable it returns is awaited by graphql-core too);
- a field declared `read_ahead(attribute)` (a client's agent, read with the page's rows) is a
  plain field of that attribute while the attribute holds a value: no resolve info, no call.
  When it holds None, the field's resolver runs on graphql-core's path;
- an object completed on these paths skips strawberry's type check when it is an instance of
  its type's own class (the check would find it true), and its selection is planned once per
  list, not per item.

Which field takes which path is worked out once per field (schema/plans.py). Anything else
(arguments, extensions, an async resolver, a middleware, exception handlers in the schema) takes
graphql-core's path unchanged; so does a plain value that is null or raises, so its error is the
one it always was. tests/schema/test_execution.py compares both paths.
"""

from collections.abc import Awaitable
from typing import Any

from graphql import GraphQLObjectType, Undefined
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from downline.schema.plans import Call, Plain, planned
from downline.schema.shapes import Irregular, Shape, fill, shape_of


def _plainly_of(cls: type | None, value: Any) -> bool:
    return type(value) is cls and TYPE_CAST_ATTRIBUTE not in value.__dict__


def _filled(shape: Shape, own_class: type | None, check: Any, item: Any) -> dict[str, Any]:
    """An item's answer by its shape, once its type is checked as `_object` checks it."""
    if not _plainly_of(own_class, item) and check is not None and not check(item, None):
        raise Irregular
    return fill(shape, item)


# What a completed field may be that is never awaitable: spared strawberry's check.
_COMPLETED = frozenset({dict, list, str, int, float, bool, type(None)})


def _items_plain(value: Any, details: Any) -> bool:
    """A list (not another iterable, not holding a null) selected without directives (@stream
    takes graphql-core's path)."""
    return (
        isinstance(value, list)
        and not any(item is None for item in value)  # `None in value` would call __eq__
        and not any(d.node.directives for d in details)
    )


class Execution(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, with the shorter paths of the module's docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._compiled: dict[int, tuple] = {}  # _fields
        self._selections: dict[tuple, tuple] = {}  # _subfields
        self._roots: dict[tuple, Any] = {}  # _same_root
        self._shapes: dict[tuple, tuple] = {}  # _shape

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        if path is None:
            grouped_field_set = self._same_root(grouped_field_set)
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        fields = self._fields(parent_type, grouped_field_set)
        return self._execute(parent_type, source_value, path, fields, position_context)

    def _execute(self, parent_type, source_value, path, fields: list, position_context) -> Any:
        """execute_fields, for the fields of a selection as `_fields` planned them."""
        results: dict[str, Any] = {}
        awaitable: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, details, how in fields:
                result = Undefined
                if type(how) is Plain:
                    leaf = how.leaf
                    if leaf is not None:  # the most common field of all, inline
                        try:
                            value = getattr(source_value, how.attribute)
                            if type(value) is how.same:  # its own output: a str, mostly
                                results[response_name] = value
                                continue
                            if value is not None and not isinstance(value, Exception):
                                result = leaf.coerce_output_value(value)
                                if result is not None:
                                    results[response_name] = result  # never awaitable
                                    continue
                                result = Undefined
                        except Exception:  # noqa: BLE001 - graphql-core's path raises it, located
                            result = Undefined
                    else:
                        result = self._plain(
                            how, parent_type, source_value, path, response_name, details,
                            position_context,
                        )  # fmt: skip
                elif type(how) is Call:
                    field_path = Path(path, response_name, parent_type.name)
                    result = self._call(
                        how, parent_type, source_value, field_path, details, position_context
                    )
                if result is Undefined:  # graphql-core's own path
                    field_path = Path(path, response_name, parent_type.name)
                    result = self.execute_field(
                        parent_type, source_value, details, field_path, position_context
                    )
                    if result is Undefined:
                        continue
                results[response_name] = result
                if result.__class__ not in _COMPLETED and is_awaitable(result):
                    awaitable.append(response_name)
        except Exception:
            if awaitable:
                self.settle_in_background([results[name] for name in awaitable])
            raise
        if not awaitable:
            return results
        return self._gathered(results, awaitable)

    def _same_root(self, grouped_field_set: Any) -> Any:
        """The root fields as first collected. A subscription's every event collects them anew,
        on a copy of this executor that shares its caches (graphql-core's per-event executor):
        the first event's collection stands for the later ones (the same fields of the same
        document), so they find their plans and selections, and the caches, kept by identity,
        do not grow by an entry each event."""
        if any(d.defer_usage is not None for ds in grouped_field_set.values() for d in ds):
            return grouped_field_set
        key = tuple((name, *(id(d.node) for d in ds)) for name, ds in grouped_field_set.items())
        return self._roots.setdefault(key, grouped_field_set)

    def _fields(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list:
        """(response name, field details, plan) of each field of a selection, worked out once
        per selection in the operation: graphql-core collects a list's item selection once and
        hands every item the same grouped field set."""
        compiled = self._compiled
        found = compiled.get(id(grouped_field_set))
        if found is not None and found[0] is grouped_field_set:
            return found[1]
        plain_schema = self._plain_schema()
        fields = [
            (response_name, details, planned(parent_type, details[0].node.name.value, plain_schema))
            for response_name, details in grouped_field_set.items()
        ]
        # The grouped field set is kept with its fields: its id cannot be reused meanwhile.
        compiled[id(grouped_field_set)] = (grouped_field_set, fields)
        return fields

    def _plain_schema(self) -> bool:
        strawberry_schema = getattr(self.schema, "_strawberry_schema", None)
        return (
            strawberry_schema is not None
            and not strawberry_schema.exception_handlers
            and strawberry_schema.config.default_resolver is getattr
        )

    def _plain(
        self, how: Plain, parent_type, source, path, response_name, details, position_context
    ) -> Any:
        """The completed value of a plain field, or Undefined for graphql-core's own path (a
        null, anything that raises: there it gives the same answer or error it always did)."""
        try:
            value = getattr(source, how.attribute)
        except Exception:  # noqa: BLE001 - graphql-core's path raises it again, located
            return Undefined
        if value is None or value is Undefined or isinstance(value, Exception):
            return Undefined
        if how.leaf is not None:
            try:
                coerced = how.leaf.coerce_output_value(value)
            except Exception:  # noqa: BLE001 - as above
                return Undefined
            return Undefined if coerced is None or coerced is Undefined else coerced
        if how.items is not None:
            if not _items_plain(value, details):  # a list, never awaitable
                return Undefined
        elif not _plainly_of(how.own_class, value) and self.is_awaitable(value):
            return Undefined
        field_path = Path(path, response_name, parent_type.name)
        return_type = how.return_type
        try:
            if how.items is not None:
                completed = self._objects(
                    how.items, how.own_class, details, field_path, value, position_context
                )
            else:
                completed = self._object(
                    how.object_type, how.own_class, details, field_path, value, position_context
                )
        except Exception as raw_error:  # as graphql-core's execute_field handles it
            self.handle_field_error(raw_error, return_type, details, field_path)
            return None
        if completed.__class__ not in _COMPLETED and self.is_awaitable(completed):
            return self._guarded(completed, return_type, details, field_path)
        return completed

    def _call(self, how: Call, parent_type, source, path, details, position_context) -> Any:
        """graphql-core's execute_field, with the resolver called directly."""
        field_def = how.field_def
        return_type = field_def.type
        info = self.build_resolve_info(field_def, [d.node for d in details], parent_type, path)
        try:
            kwargs = dict.fromkeys(how.source_names, source)
            if how.info_name is not None:
                info_class = self.schema._strawberry_schema.config.info_class
                kwargs[how.info_name] = info_class(_raw_info=info, _field=how.field)
            args = (source,) if how.pass_self else ()
            result = how.field.base_resolver(*args, **kwargs)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, details, info, path, result, position_context
                )
            if how.object_type is not None and result is not None:
                if isinstance(result, Exception):
                    raise result  # as graphql-core's complete_value does
                completed = self._object(
                    how.object_type, how.own_class, details, path, result, position_context
                )
            else:
                completed = self.complete_value(
                    return_type, details, info, path, result, position_context
                )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None
        if completed.__class__ not in _COMPLETED and self.is_awaitable(completed):
            return self._guarded(completed, return_type, details, path)
        return completed

    def _object(self, object_type, own_class, details, path, value, position_context) -> Any:
        """graphql-core's complete_object_value with its layers folded: the type check
        (strawberry's, which reads no resolve info; none for an instance of `own_class`), the
        selection as graphql-core collected it (once per list), then the fields. A deferred
        fragment takes graphql-core's path."""
        check = object_type.is_type_of
        if check is not None and not _plainly_of(own_class, value) and not check(value, None):
            # graphql-core raises the error it raises for a value of another type.
            return self.complete_object_value(
                object_type, details, None, path, value, position_context
            )
        fields = self._subfields(object_type, details) if position_context is None else None
        if fields is None:
            return self.collect_and_execute_subfields(
                object_type, details, path, value, position_context
            )
        return self._execute(object_type, value, path, fields, position_context)

    def _subfields(self, object_type: GraphQLObjectType, details: Any) -> list | None:
        """The planned fields an object of `object_type` selects by `details`, once per
        selection (every item of a list has the same); None for a deferred fragment."""
        selections = self._selections
        key = (object_type, id(details))
        found = selections.get(key)
        if found is None:
            grouped, new_defer_usages, _ = self.collect_subfields(object_type, details)
            fields = None if new_defer_usages else self._fields(object_type, grouped)
            # Kept with `details`, whose id cannot be reused meanwhile.
            found = selections[key] = (details, fields)
        return found[1]

    def _shape(self, object_type: GraphQLObjectType, details: Any) -> Shape | None:
        """The shape of what an object of `object_type` selects by `details`, once per
        selection; None where some field is not plain (schema/shapes.py)."""
        key = (object_type, id(details))
        found = self._shapes.get(key)
        if found is None:
            fields = self._subfields(object_type, details)
            shape = None if fields is None else shape_of(object_type, fields, self._subfields)
            found = self._shapes[key] = (details, shape)  # kept with `details`, as above
        return found[1]

    def _objects(self, item_type, own_class, details, path, items, position_context) -> Any:
        """graphql-core's complete_list_value for non-null objects: an item's error is the
        list's. Items left awaiting are awaited together. Items whose whole selection is plain
        are filled by their shape (schema/shapes.py); if any one is irregular, every item takes
        the path below."""
        shape = self._shape(item_type, details) if position_context is None else None
        if shape is not None:
            check = item_type.is_type_of
            try:
                return [_filled(shape, own_class, check, item) for item in items]
            except Exception:  # noqa: BLE001, S110 - the path below answers it, errors and all
                pass
        completed = []
        awaitable = []
        try:
            for index, item in enumerate(items):
                value = self._object(
                    item_type, own_class, details, path.add_key(index), item, position_context
                )
                if value.__class__ not in _COMPLETED and self.is_awaitable(value):
                    awaitable.append(index)
                completed.append(value)
        except Exception:
            if awaitable:  # as execute_fields does: none is left never awaited
                self.settle_in_background([completed[index] for index in awaitable])
            raise
        if not awaitable:
            return completed
        return self._awaited_items(completed, awaitable)

    async def _awaited_items(self, completed: list, awaitable: list[int]) -> list:
        awaited = await gather_with_cancel(*(completed[index] for index in awaitable))
        for index, value in zip(awaitable, awaited, strict=True):
            completed[index] = value
        return completed

    async def _guarded(self, completed: Awaitable, return_type, details, path) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    async def _gathered(self, results: dict[str, Any], awaitable: list[str]) -> dict[str, Any]:
        # graphql-core's execute_fields does the same with the fields it left awaiting.
        if len(awaitable) == 1:
            results[awaitable[0]] = await results[awaitable[0]]
        else:
            awaited = await gather_with_cancel(*(results[name] for name in awaitable))
            results.update(zip(awaitable, awaited, strict=True))
        return results
