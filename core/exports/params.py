"""Checking an export's `params` against its type's declared parameters (docs/domain.md): a flat
JSON object, names as in the API; an unknown name, a wrong type or a missing required one is
BAD_USER_INPUT naming the parameter. The result has every default filled in."""

from collections.abc import Mapping
from typing import Any

from downline.core.errors import BadUserInput
from downline.core.exports.paramtypes import named
from downline.core.exports.types import ExportType


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
            checked[name] = named(parameter.type).check(value)
        except ValueError as exc:
            raise BadUserInput(
                f"{name} must be {exc} ({parameter.type}), got {value!r}", field=name
            ) from exc
    return checked
