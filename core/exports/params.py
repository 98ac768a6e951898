"""Checking an export's `params` against its type's declared parameters (exports.md): a flat
JSON object, names as in the API; an unknown name, a wrong type or a missing required one is
BAD_USER_INPUT naming the parameter. The result has every default filled in."""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from downline.core.book.listing import MAX_SEARCH
from downline.core.errors import BadUserInput
from downline.core.exports.types import ExportType
from downline.core.production.vocabulary import PolicyStatus, ProductType

EXCHANGES = ("ON_EX", "OFF_EX")
# A text parameter is a search or a name: as long as a list's search may be (core/listing.py), so
# an export is refused when it is requested, not failed when it runs.
MAX_TEXT = MAX_SEARCH


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    if len(value.strip()) > MAX_TEXT:
        raise ValueError(f"a string of at most {MAX_TEXT} characters")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a whole number")
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


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("an ID")
    return str(value)


def _one_of(words: tuple[str, ...], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in words:
            raise ValueError(f"{what}: one of {', '.join(words)}")
        return value

    return check


def _list(item: Callable[[Any], Any], what: str) -> Callable[[Any], list]:
    def check(value: Any) -> list:
        if not isinstance(value, list):
            raise ValueError(f"a list of {what}")
        return [item(v) for v in value]

    return check


CHECKS: dict[str, Callable[[Any], Any]] = {
    "String": _string,
    "Int": _int,
    "Boolean": _bool,
    "Date": _date,
    "ID": _id,
    "Exchange": _one_of(EXCHANGES, "an Exchange"),
    "[ID!]": _list(_id, "IDs"),
    "[String!]": _list(_string, "strings"),
    "[ProductType!]": _list(_one_of(tuple(ProductType), "a ProductType"), "ProductType values"),
    "[PolicyStatus!]": _list(_one_of(tuple(PolicyStatus), "a PolicyStatus"), "PolicyStatus values"),
}


def validate(export_type: ExportType, params: Mapping[str, Any] | None) -> dict[str, Any]:
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise BadUserInput("params must be a JSON object of parameter names", field="params")
    declared = {p.name: p for p in export_type.parameters}
    for name in params:
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise BadUserInput(
                f"{export_type.key} has no parameter {name!r} (parameters: {known})", field=name
            )
    checked: dict[str, Any] = {}
    for name, parameter in declared.items():
        value = params.get(name)
        if value is None:
            if parameter.required:
                raise BadUserInput(f"{name} is required for {export_type.key}", field=name)
            checked[name] = parameter.default
            continue
        try:
            checked[name] = CHECKS[parameter.type](value)
        except ValueError as exc:
            raise BadUserInput(
                f"{name} must be {exc} ({parameter.type}), got {value!r}", field=name
            ) from exc
    return checked
