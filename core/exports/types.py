"""The export-plugin API: what `downline_export_types()` returns, and the checks every export
type passes at start-up. Re-exported by `downline.plugins`.

An export type is data (key, title, legend, parameters) plus one function: `query(ctx)` returns
a SQLAlchemy Select whose columns are the export's columns, in order, already limited to
`ctx.scope` (the agents the requester may see). core runs it, streams the rows and formats
each cell (docs/domain.md); a plugin never writes CSV itself.
"""

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session

from downline.core.book.scope import Principal
from downline.core.exports.paramtypes import named

KEY = re.compile(r"[a-z][a-z0-9_]*")
PII_KINDS = (None, "ssn", "dob", "income")
CELL_KINDS = ("text", "number", "date", "datetime", "money", "bool")


class ExportScope(enum.StrEnum):
    AGENT = "AGENT"  # requested by agent users: the agent's own book
    AGENCY = "AGENCY"  # requested by agency admins: the whole downline


@dataclass(frozen=True)
class ExportParameter:
    name: str  # as in the API: submittedFrom, includeArchived, paidFrom
    type: str  # the GraphQL spelling: Date, Boolean, [ID!], Exchange
    required: bool = False
    default: Any = None
    description: str = ""


@dataclass(frozen=True)
class ExportColumn:
    name: str
    description: str  # the legend
    pii: str | None = None  # "ssn" | "dob" | "income": always masked
    kind: str = "text"  # text | number | date | datetime | money | bool


@dataclass(frozen=True)
class ExportContext:
    session: Session
    principal: Principal
    scope: Select  # the ids of the agents the requester may see
    params: Mapping[str, Any]  # validated, defaults filled
    today: date


@dataclass(frozen=True)
class ExportType:
    key: str
    title: str
    description: str
    scopes: tuple[ExportScope, ...]
    parameters: tuple[ExportParameter, ...]
    columns: tuple[ExportColumn, ...]
    query: Callable[[ExportContext], Select]
    # A SELECT with exactly as many rows as `query`, cheaper to count, for `rowsTotal` (counted
    # while the file is written); None: `query` itself is counted.
    count: Callable[[ExportContext], Select] | None = None

    def parameter(self, name: str) -> ExportParameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def check_export_type(export_type: object) -> ExportType:
    """Raise a clear error if an export type is malformed (a start-up check)."""
    if not isinstance(export_type, ExportType):
        raise TypeError(f"returned a {type(export_type).__name__}, not an ExportType")
    key = export_type.key
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise ValueError(f"bad export key {key!r}: lower-case letters, digits and _ only")
    if not export_type.scopes or not all(isinstance(s, ExportScope) for s in export_type.scopes):
        raise ValueError(f"export {key!r}: scopes must be ExportScope values")
    if not export_type.columns:
        raise ValueError(f"export {key!r} has no columns")
    names = [c.name for c in export_type.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"export {key!r} names a column twice")
    for column in export_type.columns:
        if column.pii not in PII_KINDS or column.kind not in CELL_KINDS:
            raise ValueError(f"export {key!r}, column {column.name!r}: bad pii or kind")
    for parameter in export_type.parameters:
        if named(parameter.type) is None:
            raise ValueError(f"export {key!r}, parameter {parameter.name!r}: bad type")
    if not callable(export_type.query):
        raise TypeError(f"export {key!r}: query must be callable")
    if export_type.count is not None and not callable(export_type.count):
        raise TypeError(f"export {key!r}: count must be callable")
    return export_type


def collect(answers: Mapping[str, object]) -> dict[str, ExportType]:
    """Export types by key from each plugin's answer; a key claimed twice is an error."""
    types: dict[str, ExportType] = {}
    owners: dict[str, str] = {}
    for plugin, answer in answers.items():
        for export_type in answer:
            checked = check_export_type(export_type)
            if checked.key in owners:
                raise ValueError(
                    f"export key {checked.key!r} is claimed by two plugins: "
                    f"{owners[checked.key]} and {plugin}"
                )
            owners[checked.key] = plugin
            types[checked.key] = checked
    return types
