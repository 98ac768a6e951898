"""Checking an export's `params` against its type's declared parameters (docs/domain.md): a flat
JSON object, names as in the API; an unknown name, a wrong type or a missing required one is
BAD_USER_INPUT naming the parameter, and params over MAX_JSON_BYTES as a whole are BAD_USER_INPUT
naming `params`. The result has every default filled in, each value normalised (a text
trimmed)."""

from collections.abc import Mapping
from typing import Any

from downline.core.errors import BadUserInput
from downline.core.exports.paramtypes import MAX_JSON_BYTES, MAX_TEXT, json_size, named
from downline.core.exports.types import ExportType

PREVIEW = 60  # characters of a value quoted back in an error


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
                f"{export_type.key} has no parameter {shown(name)} (parameters: {known})",
                field=name if len(name) <= MAX_TEXT else "params",
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
            checked[name] = named(parameter.type).check(value)
        except ValueError as exc:
            raise BadUserInput(
                f"{name} must be {exc} ({parameter.type}), got {shown(value)}", field=name
            ) from exc
    # Each value within its bounds can still add up: the whole is bounded too.
    size = json_size(dict(params))
    if size > MAX_JSON_BYTES:
        raise BadUserInput(
            f"params may hold at most {MAX_JSON_BYTES // 1024} KB of JSON; these hold "
            f"{size:,} bytes",
            field="params",
        )
    return checked


def shown(value: Any) -> str:
    """`value` as an error quotes it back: its repr, cut short when long."""
    text = repr(value)
    if len(text) <= PREVIEW:
        return text
    return f"{text[:PREVIEW]}… ({len(text):,} characters)"
