"""A raw line in, a record or the reason it was refused out.

A reason names the field at fault and, unless the field is PII, the value found:
`npn '12a' is not 1-10 digits`. SSN, date of birth and household income never leave the system
unmasked (docs/architecture.md), and a rejection printed on a terminal is leaving it.
"""

import json
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from downline.core.loading.kinds import Kind, Pending
from downline.core.loading.records import Record
from downline.core.loading.report import FileReport

R = TypeVar("R", bound=Record)
PII = frozenset({"ssn", "date_of_birth", "household_income"})
SHOWN_CHARS = 40
EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def valid_records(
    kind: Kind, lines: Iterable[tuple[int, bytes]], report: FileReport
) -> Iterator[Pending]:
    """The valid records on `lines` (numbered raw lines); the others are rejected in `report`."""
    for line, raw in lines:
        parsed = parse_line(kind.record, raw)
        if isinstance(parsed, str):
            report.reject(line, parsed)
        else:
            yield Pending.of(kind, line, parsed)


def parse_line(model: type[R], raw: bytes) -> R | str:
    """The record on `raw` (one line of a JSON Lines file), or why it is refused."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        return "; ".join(_reason(error) for error in exc.errors(include_url=False))


def show(value: Any) -> str:
    """A value as a reason quotes it: strings in quotes, JSON literals as JSON, long ones cut."""
    if isinstance(value, str):
        return repr(value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…")
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, list):
        return "[…]"
    return json.dumps(value)  # null, true, 12, 1.5


def _reason(error: ErrorDetails) -> str:
    kind, loc = error["type"], error["loc"]
    if kind == "json_invalid":
        return f"is not valid JSON ({error['ctx']['error']})"
    if not loc:
        return "is not a JSON object" if kind in EXPECTED else error["msg"]
    field = _path(loc)
    if kind == "missing":
        return f"{field} is missing"
    value = "" if loc[0] in PII else f" {show(error['input'])}"
    return f"{field}{value} {_complaint(error)}"


def _complaint(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in EXPECTED:
        return f"is not {EXPECTED[kind]}"
    if kind == "literal_error":
        return f"is not one of {ctx['expected']}"
    if kind == "string_too_short":
        return "is empty"
    if kind == "string_too_long":
        return f"is longer than {ctx['max_length']} characters"
    if kind == "downline":
        return error["msg"]
    return f"is invalid ({error['msg']})"


def _path(loc: tuple[int | str, ...]) -> str:
    """A JSON path: `dmis[0].due_date`."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)[1:]
