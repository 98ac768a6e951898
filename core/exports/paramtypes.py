"""The types an export parameter may have, in one table. Each has its GraphQL spelling (what
`ExportParameter.type` says), the check a request's JSON value passes (its ValueError says what
the value must be, for the BAD_USER_INPUT message), and how a list filter's Python value is read
back from validated params and written into them (a declared default). The enums and the lists
are derived (from the list filters' fields, and from each item type), so no second list is kept
in step by hand."""

import enum
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

from downline.core.book.filters import ID, ClientFilter, LeadFilter, fields
from downline.core.book.listing import MAX_SEARCH
from downline.core.production.filters import ProductionFilter, ReconciliationFilter

# A text parameter is a search or a name: as long as a list's search may be
# (core/book/listing.py), so an export is refused when it is requested, not failed when it runs.
# Every length is the value's as given, padding included: params are stored, and read back by
# every look at the history.
MAX_TEXT = MAX_SEARCH
# The JSON of a request's params as a whole, and of any one list in them.
MAX_JSON_BYTES = 16 * 1024


def json_size(value: Any) -> int:
    """The bytes of `value` as compact UTF-8 JSON."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class ParamType:
    spelling: str  # GraphQL's: String, Date, Exchange, [ID!]
    check: Callable[[Any], Any]  # a request's JSON value -> the value params keep (still JSON)
    plural: str  # a list of these, in an error: "a list of IDs"
    read: Callable[[Any], Any] = _same  # a value params keep -> the filter's Python value
    write: Callable[[Any], Any] = _same  # a filter's Python value -> the value params keep


def _string(value: Any) -> str:
    """Kept trimmed, as the lists read a search."""
    if not isinstance(value, str):
        raise ValueError("a string")
    if len(value) > MAX_TEXT:
        raise ValueError(f"a string of at most {MAX_TEXT} characters")
    return value.strip()


# GraphQL's Int: a parameter spelled Int holds what an Int argument may.
INT_RANGE = (-(2**31), 2**31 - 1)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a whole number")
    if not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise ValueError(f"a whole number from {INT_RANGE[0]:,} to {INT_RANGE[1]:,}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _date(value: Any) -> str:
    try:
        return date.fromisoformat(_string(value)).isoformat()
    except ValueError as exc:
        raise ValueError("a date (YYYY-MM-DD)") from exc


def _datetime(value: Any) -> str:
    """An ISO 8601 instant, kept in UTC; one without an offset is read as UTC (as the API reads
    it)."""
    try:
        moment = datetime.fromisoformat(_string(value))
    except ValueError as exc:
        raise ValueError("a date and time (YYYY-MM-DDTHH:MM:SS+00:00)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).isoformat()
    except OverflowError as exc:
        raise ValueError("a date and time within the years 1 to 9999 in UTC") from exc


def _id(value: Any) -> str:
    """Kept as given: an id names exactly, as in the lists' filters."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("an ID")
    text = str(value)
    if len(text) > MAX_TEXT:
        raise ValueError(f"an ID of at most {MAX_TEXT} characters")
    return text


SCALARS = {
    str: ParamType("String", _string, "strings"),
    int: ParamType("Int", _int, "whole numbers"),
    bool: ParamType("Boolean", _bool, "true or false values"),
    date: ParamType("Date", _date, "dates", read=date.fromisoformat, write=date.isoformat),
    datetime: ParamType(
        "DateTime",
        _datetime,
        "dates and times",
        read=datetime.fromisoformat,
        write=datetime.isoformat,
    ),
    ID: ParamType("ID", _id, "IDs"),
}


def _one_of(words: tuple[str, ...], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in words:
            raise ValueError(f"{what}: one of {', '.join(words)}")
        return value

    return check


def _enum(cls: type[enum.Enum]) -> ParamType:
    """An enum is spelled in params by its members' names, as GraphQL spells them (ON_EX)."""
    name = cls.__name__
    article = "an" if name[0] in "AEIOU" else "a"
    return ParamType(
        name,
        _one_of(tuple(cls.__members__), f"{article} {name}"),
        f"{name} values",
        read=lambda member_name: cls[member_name],
        write=attrgetter("name"),
    )


def _list(item: ParamType) -> ParamType:
    def check(value: Any) -> list:
        if not isinstance(value, list):
            raise ValueError(f"a list of {item.plural}")
        if json_size(value) > MAX_JSON_BYTES:
            raise ValueError(f"a list of at most {MAX_JSON_BYTES // 1024} KB of JSON")
        return [item.check(v) for v in value]

    return ParamType(
        f"[{item.spelling}!]",
        check,
        f"lists of {item.plural}",
        read=lambda values: [item.read(v) for v in values],
        write=lambda values: [item.write(v) for v in values],
    )


def _is_enum(python_type: Any) -> bool:
    return isinstance(python_type, type) and issubclass(python_type, enum.Enum)


def _item(python_type: Any) -> Any:
    """The item type of `list[X]`; anything else is its own item."""
    if typing.get_origin(python_type) is list:
        return typing.get_args(python_type)[0]
    return python_type


def of(python_type: Any) -> ParamType:
    """The parameter type of a list filter field's Python type (without its `| None`)."""
    if typing.get_origin(python_type) is list:
        return _list(of(_item(python_type)))
    if _is_enum(python_type):
        return _enum(python_type)
    if python_type not in SCALARS:
        raise TypeError(f"no export parameter type for {python_type!r}")
    return SCALARS[python_type]


# The enums a parameter may take: those the list filters' fields take.
_ENUMS = {
    _item(f.type)
    for declaration in (ClientFilter, LeadFilter, ProductionFilter, ReconciliationFilter)
    for f in fields(declaration)
    if _is_enum(_item(f.type))
}
_ITEMS = [of(t) for t in (*SCALARS, *_ENUMS)]
NAMED = {t.spelling: t for item in _ITEMS for t in (item, _list(item))}


def named(spelling: str) -> ParamType | None:
    """The type an ExportParameter names, None if no parameter may have it."""
    return NAMED.get(spelling)
